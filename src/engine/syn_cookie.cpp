#include "engine/syn_cookie.hpp"

#include "core/mix64.hpp"

namespace teardown::engine {

namespace {

constexpr std::uint32_t k_low_bits = 24;
constexpr std::uint32_t k_low_mask = (1u << k_low_bits) - 1;
constexpr std::uint32_t k_max_age = 2;  // minutes: Linux's MAX_SYNCOOKIE_AGE

std::uint32_t keyed(const wire::FourTuple& tuple, std::uint64_t secret, std::uint64_t salt) {
    const std::uint64_t ports = std::uint64_t{tuple.local.port} << 16 | tuple.remote.port;
    return static_cast<std::uint32_t>(mix64(mix64(secret ^ salt ^ wire::hash_value(tuple)) ^ ports) >> 32);
}

std::uint32_t f1(const wire::FourTuple& tuple, std::uint64_t secret) { return keyed(tuple, secret, 0x636f6f6b6965'31ULL); }
std::uint32_t f2(const wire::FourTuple& tuple, std::uint32_t minute, std::uint64_t secret) {
    return keyed(tuple, secret, 0x636f6f6b6965'32ULL ^ (std::uint64_t{minute} << 8));
}

} // namespace

SeqNum syn_cookie(const wire::FourTuple& tuple, SeqNum peer_isn, std::uint16_t peer_mss, std::uint32_t minute,
                  std::uint64_t secret) {
    std::uint32_t index = 0;
    for (std::uint32_t i = 0; i < k_cookie_mss.size(); ++i)
        if (k_cookie_mss[i] <= peer_mss) index = i;
    const std::uint32_t low = (f2(tuple, minute, secret) + index) & k_low_mask;
    return SeqNum{f1(tuple, secret) + peer_isn.raw() + (minute << k_low_bits) + low};
}

std::optional<std::uint16_t> check_syn_cookie(const wire::FourTuple& tuple, SeqNum peer_isn, SeqNum cookie,
                                              std::uint32_t minute, std::uint64_t secret) {
    const std::uint32_t diff = cookie.raw() - f1(tuple, secret) - peer_isn.raw();
    // The high byte is the minute it was made, modulo 256.
    const std::uint32_t age = (minute - (diff >> k_low_bits)) & 0xFF;
    if (age > k_max_age) return std::nullopt;
    const std::uint32_t made = minute - age;
    const std::uint32_t index = (diff - f2(tuple, made, secret)) & k_low_mask;
    if (index >= k_cookie_mss.size()) return std::nullopt;
    return k_cookie_mss[index];
}

} // namespace teardown::engine
