#pragma once
// A 64-bit finaliser (splitmix64's): cheap, and every input bit reaches every
// output bit. For hash tables keyed by 4-tuples and for the keyed ISN function.
#include <cstdint>

namespace teardown {

constexpr std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

} // namespace teardown
