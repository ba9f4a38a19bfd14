#include "analyze/history_letters.hpp"

#include <string_view>

namespace teardown::analyze {

namespace {

// Code 0 ends the letters; code i is k_letters[i - 1].
constexpr std::string_view k_letters = "SHADFRTWCQIGshadfrtwcqig^";

} // namespace

void HistoryLetters::push_back(char letter) {
    if (spilled()) {
        heap()->push_back(letter);
        return;
    }
    const auto at = k_letters.find(letter);
    unsigned n = 0;
    while (n < k_inline && (word_ >> (5 * n) & 31u) != 0) ++n;
    if (at == std::string_view::npos || n == k_inline) {
        // Twelve letters already (or one we have no code for): the heap from here on.
        auto* s = new std::string{str()};
        s->push_back(letter);
        word_ = spill(s);
        return;
    }
    word_ |= static_cast<std::uint64_t>(at + 1) << (5 * n);
}

std::string HistoryLetters::str() const {
    if (spilled()) return *heap();
    std::string out;
    for (unsigned i = 0; i < k_inline; ++i) {
        const auto code = static_cast<unsigned>(word_ >> (5 * i) & 31u);
        if (code == 0) break;
        out += k_letters[code - 1];
    }
    return out;
}

} // namespace teardown::analyze
