#pragma once
// splitmix64: a small generator whose sequence is the same on every
// platform and library, so a seed names one run everywhere.
#include <cstdint>

#include "core/time.hpp"

namespace teardown::sim {

class Random {
public:
    explicit Random(std::uint64_t seed) : s_{seed * 0x9E3779B97F4A7C15ULL + 1} {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    bool chance(double p) { return p > 0 && unit() < p; }
    Duration upto(Duration d) {
        if (d <= Duration::zero()) return Duration::zero();
        return Duration::nanos(static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(d.count_nanos() + 1)));
    }

private:
    std::uint64_t s_;
};

} // namespace teardown::sim
