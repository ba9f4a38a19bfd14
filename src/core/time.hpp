#pragma once
// Virtual time. Nothing in teardown's protocol code reads a clock: an Instant is
// handed in by the caller (the simulator, the lab's event loop, a capture's
// timestamps) and a Duration is the difference of two of them.
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>

namespace teardown {

class Duration {
public:
    constexpr Duration() = default;
    static constexpr Duration nanos(std::int64_t n) { return Duration{n}; }
    static constexpr Duration micros(std::int64_t n) { return Duration{n * 1'000}; }
    static constexpr Duration millis(std::int64_t n) { return Duration{n * 1'000'000}; }
    static constexpr Duration seconds(std::int64_t n) { return Duration{n * 1'000'000'000}; }
    static constexpr Duration zero() { return Duration{0}; }
    static constexpr Duration infinite() { return Duration{std::numeric_limits<std::int64_t>::max()}; }

    constexpr std::int64_t count_nanos() const { return ns_; }
    constexpr std::int64_t count_micros() const { return ns_ / 1'000; }
    constexpr std::int64_t count_millis() const { return ns_ / 1'000'000; }
    constexpr double count_seconds() const { return static_cast<double>(ns_) / 1e9; }
    constexpr bool is_infinite() const { return ns_ == std::numeric_limits<std::int64_t>::max(); }

    constexpr Duration operator+(Duration o) const { return Duration{ns_ + o.ns_}; }
    constexpr Duration operator-(Duration o) const { return Duration{ns_ - o.ns_}; }
    constexpr Duration operator*(std::int64_t k) const { return Duration{ns_ * k}; }
    constexpr Duration operator/(std::int64_t k) const { return Duration{ns_ / k}; }
    constexpr Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
    constexpr Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }
    constexpr auto operator<=>(const Duration&) const = default;

private:
    constexpr explicit Duration(std::int64_t ns) : ns_{ns} {}
    std::int64_t ns_{0};
};

// A point on some caller-chosen time line, in nanoseconds since its origin.
class Instant {
public:
    constexpr Instant() = default;
    static constexpr Instant from_nanos(std::int64_t n) { return Instant{n}; }
    static constexpr Instant from_micros(std::int64_t n) { return Instant{n * 1'000}; }
    static constexpr Instant from_millis(std::int64_t n) { return Instant{n * 1'000'000}; }
    static constexpr Instant from_seconds(std::int64_t n) { return Instant{n * 1'000'000'000}; }
    // The end of time: the "no deadline" value of next_deadline().
    static constexpr Instant never() { return Instant{std::numeric_limits<std::int64_t>::max()}; }

    constexpr std::int64_t nanos() const { return ns_; }
    constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }
    constexpr bool is_never() const { return ns_ == std::numeric_limits<std::int64_t>::max(); }

    constexpr Instant operator+(Duration d) const {
        if (is_never() || d.is_infinite()) return never();
        return Instant{ns_ + d.count_nanos()};
    }
    constexpr Instant operator-(Duration d) const { return Instant{ns_ - d.count_nanos()}; }
    constexpr Duration operator-(Instant o) const { return Duration::nanos(ns_ - o.ns_); }
    constexpr Instant& operator+=(Duration d) { *this = *this + d; return *this; }
    constexpr auto operator<=>(const Instant&) const = default;

private:
    constexpr explicit Instant(std::int64_t ns) : ns_{ns} {}
    std::int64_t ns_{0};
};

// An Instant or none, in the Instant's 8 bytes (std::optional takes 16):
// never() stands for none. For structures kept by the million, such as the
// analyzer's per-connection trackers.
class MaybeInstant {
public:
    constexpr MaybeInstant() = default;
    constexpr MaybeInstant(Instant t) : t_{t} {}
    constexpr MaybeInstant& operator=(Instant t) {
        t_ = t;
        return *this;
    }
    constexpr bool has_value() const { return !t_.is_never(); }
    constexpr explicit operator bool() const { return has_value(); }
    constexpr Instant operator*() const { return t_; }
    constexpr operator std::optional<Instant>() const { return has_value() ? std::optional<Instant>{t_} : std::nullopt; }

private:
    Instant t_{Instant::never()};
};

} // namespace teardown
