#pragma once
// Numbers and times appended to a line being built, without a temporary
// string each: the analyzer writes hundreds of thousands of records a
// second, and formatting them through streams or fmt's allocating calls
// cost more than analyzing their packets. (Addresses and endpoints:
// wire::IpAddress::append_to, wire::Endpoint::append_to.)
#include <cstdint>
#include <string>

#include "core/time.hpp"

namespace teardown {

namespace text_detail {
// "00" "01" ... "99": two digits a step.
inline constexpr char k_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
// `v` in decimal, written backward ending at `end`; the first digit's place.
inline char* digits_before(char* end, std::uint64_t v) {
    while (v >= 100) {
        const auto two = static_cast<unsigned>(v % 100) * 2;
        v /= 100;
        *--end = k_pairs[two + 1];
        *--end = k_pairs[two];
    }
    if (v >= 10) {
        const auto two = static_cast<unsigned>(v) * 2;
        *--end = k_pairs[two + 1];
        *--end = k_pairs[two];
    } else {
        *--end = static_cast<char>('0' + v);
    }
    return end;
}
} // namespace text_detail

inline void append_uint(std::string& out, std::uint64_t v) {
    char buf[20];
    const char* p = text_detail::digits_before(buf + sizeof buf, v);
    out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Nanoseconds as seconds with six decimals, rounded to the nearest
// microsecond (half away from zero): "1767225600.000020", "-0.000001".
inline void append_seconds6(std::string& out, std::int64_t nanos) {
    const std::uint64_t mag = nanos < 0 ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
    const std::uint64_t micros = (mag + 500) / 1000;
    char buf[32];
    char* const end = buf + sizeof buf;
    // The six decimals, zero-padded, then the point and the seconds.
    std::uint64_t f = micros % 1'000'000;
    char* p = end;
    for (int i = 0; i < 3; ++i) {
        const auto two = static_cast<unsigned>(f % 100) * 2;
        f /= 100;
        *--p = text_detail::k_pairs[two + 1];
        *--p = text_detail::k_pairs[two];
    }
    *--p = '.';
    p = text_detail::digits_before(p, micros / 1'000'000);
    if (nanos < 0 && micros != 0) *--p = '-';
    out.append(p, static_cast<std::size_t>(end - p));
}
inline void append_seconds6(std::string& out, Instant t) { append_seconds6(out, t.nanos()); }
inline void append_seconds6(std::string& out, Duration d) { append_seconds6(out, d.count_nanos()); }

} // namespace teardown
