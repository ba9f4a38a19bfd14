#pragma once
// RFC 9293 §3.4: sequence numbers live on a 2^32 circle, so "less than" is
// decided by the sign of the 32-bit difference, never by the raw values.
#include <cstdint>

namespace teardown {

class SeqNum {
public:
    constexpr SeqNum() = default;
    constexpr explicit SeqNum(std::uint32_t v) : v_{v} {}
    constexpr std::uint32_t raw() const { return v_; }

    constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum{v_ + n}; }
    constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum{v_ - n}; }
    constexpr SeqNum& operator+=(std::uint32_t n) { v_ += n; return *this; }
    // Signed distance from o to this, valid while the two are within 2^31.
    constexpr std::int32_t operator-(SeqNum o) const { return static_cast<std::int32_t>(v_ - o.v_); }

    constexpr bool operator==(const SeqNum&) const = default;
    constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
    constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
    constexpr bool operator>(SeqNum o) const { return (*this - o) > 0; }
    constexpr bool operator>=(SeqNum o) const { return (*this - o) >= 0; }

    // lo <= this < hi on the circle (an empty range when lo == hi).
    constexpr bool in_range(SeqNum lo, SeqNum hi) const {
        return static_cast<std::uint32_t>(v_ - lo.v_) < static_cast<std::uint32_t>(hi.v_ - lo.v_);
    }

private:
    std::uint32_t v_{0};
};

constexpr SeqNum max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum min(SeqNum a, SeqNum b) { return a < b ? a : b; }

} // namespace teardown
