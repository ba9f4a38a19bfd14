#pragma once
// Zeek's history string in 8 bytes: its letters (S H A D F R T W C Q I, in
// upper or lower case, and '^') packed five bits each, twelve in the word;
// a longer history moves to the heap, which few connections ever need (a
// letter repeats only for a new SYN, FIN or RST, or at 1, 10, 100...
// retransmissions). The analyzer keeps one per tracked connection.
#include <cstdint>
#include <string>

namespace teardown::analyze {

class HistoryLetters {
public:
    HistoryLetters() = default;
    HistoryLetters(const HistoryLetters& o) : word_{o.spilled() ? spill(new std::string{*o.heap()}) : o.word_} {}
    HistoryLetters(HistoryLetters&& o) noexcept : word_{o.word_} { o.word_ = 0; }
    HistoryLetters& operator=(HistoryLetters o) noexcept {
        std::swap(word_, o.word_);
        return *this;
    }
    ~HistoryLetters() {
        if (spilled()) delete heap();
    }

    void push_back(char letter);
    std::string str() const;
    bool empty() const { return word_ == 0; }

private:
    static constexpr std::uint64_t k_spilled = std::uint64_t{1} << 63;
    static constexpr unsigned k_inline = 12;
    bool spilled() const { return (word_ & k_spilled) != 0; }
    std::string* heap() const { return reinterpret_cast<std::string*>(static_cast<std::uintptr_t>(word_ & ~k_spilled)); }
    static std::uint64_t spill(std::string* s) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(s)) | k_spilled; }
    // Inline: letter i in bits 5i..5i+4, code 0 ending the letters.
    std::uint64_t word_{0};
};

} // namespace teardown::analyze
