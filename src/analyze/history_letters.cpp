#include "analyze/history_letters.hpp"

#include <array>
#include <bit>
#include <string_view>

namespace teardown::analyze {

namespace {

// Code 0 ends the letters; code i is k_letters[i - 1].
constexpr std::string_view k_letters = "SHADFRTWCQIGshadfrtwcqig^";
// The code of each ASCII character (0: none), so a letter is coded without a search.
constexpr std::array<std::uint8_t, 128> k_codes = [] {
    std::array<std::uint8_t, 128> c{};
    for (std::size_t i = 0; i < k_letters.size(); ++i) c[static_cast<unsigned char>(k_letters[i])] = static_cast<std::uint8_t>(i + 1);
    return c;
}();

} // namespace

void HistoryLetters::push_back(char letter) {
    if (spilled()) {
        heap()->push_back(letter);
        return;
    }
    const auto u = static_cast<unsigned char>(letter);
    const std::uint64_t code = u < k_codes.size() ? k_codes[u] : 0;
    // The letters fill the word from the low bits; its highest set bit says how many there are.
    const unsigned n = word_ == 0 ? 0 : (64 - static_cast<unsigned>(std::countl_zero(word_)) + 4) / 5;
    if (code == 0 || n == k_inline) {
        // Twelve letters already (or one we have no code for): the heap from here on.
        auto* s = new std::string{str()};
        s->push_back(letter);
        word_ = spill(s);
        return;
    }
    word_ |= code << (5 * n);
}

std::string HistoryLetters::str() const {
    if (spilled()) return *heap();
    // The letters into a buffer, then the string made once (no append a letter).
    std::array<char, k_inline> letters;
    std::size_t n = 0;
    for (std::uint64_t w = word_; w != 0; w >>= 5) letters[n++] = k_letters[(w & 31u) - 1];
    return {letters.data(), n};
}

} // namespace teardown::analyze
