#include "engine/isn.hpp"

#include "core/mix64.hpp"

namespace teardown::engine {

SeqNum initial_sequence_number(const wire::FourTuple& tuple, std::uint64_t secret, Instant now) {
    std::uint64_t h = mix64(secret ^ wire::hash_value(tuple));
    h = mix64(h ^ (std::uint64_t{tuple.local.port} << 16 | tuple.remote.port));
    const auto m = static_cast<std::uint32_t>(now.nanos() / 4000);  // RFC 6528: a 4 µs tick
    return SeqNum{m + static_cast<std::uint32_t>(h)};
}

} // namespace teardown::engine
