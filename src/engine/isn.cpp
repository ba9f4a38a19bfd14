#include "engine/isn.hpp"

namespace teardown::engine {

namespace {
// splitmix64's finaliser: every input bit reaches every output bit.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
} // namespace

SeqNum initial_sequence_number(const wire::FourTuple& tuple, std::uint64_t secret, Instant now) {
    std::uint64_t h = mix(secret ^ wire::hash_value(tuple));
    h = mix(h ^ (std::uint64_t{tuple.local.port} << 16 | tuple.remote.port));
    const auto m = static_cast<std::uint32_t>(now.nanos() / 4000);  // RFC 6528: a 4 µs tick
    return SeqNum{m + static_cast<std::uint32_t>(h)};
}

} // namespace teardown::engine
