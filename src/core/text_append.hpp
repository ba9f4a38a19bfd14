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

inline void append_uint(std::string& out, std::uint64_t v) {
    char buf[20];
    char* p = buf + sizeof buf;
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Nanoseconds as seconds with six decimals, rounded to the nearest
// microsecond (half away from zero): "1767225600.000020", "-0.000001".
inline void append_seconds6(std::string& out, std::int64_t nanos) {
    std::uint64_t mag = nanos < 0 ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
    const std::uint64_t micros = (mag + 500) / 1000;
    if (nanos < 0 && micros != 0) out += '-';
    append_uint(out, micros / 1'000'000);
    char frac[7] = {'.', '0', '0', '0', '0', '0', '0'};
    std::uint64_t f = micros % 1'000'000;
    for (int i = 6; i >= 1; --i) {
        frac[i] = static_cast<char>('0' + f % 10);
        f /= 10;
    }
    out.append(frac, sizeof frac);
}
inline void append_seconds6(std::string& out, Instant t) { append_seconds6(out, t.nanos()); }
inline void append_seconds6(std::string& out, Duration d) { append_seconds6(out, d.count_nanos()); }

} // namespace teardown
