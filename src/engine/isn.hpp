#pragma once
// Initial sequence numbers by RFC 6528 §3: ISN = M + F(4-tuple, secret),
// M a 4-microsecond clock. F here is a keyed 64-bit mix (not a cryptographic
// hash): it keeps ISNs of different 4-tuples far apart and repeatable for a
// given secret, which is what a simulator and tests need.
#include <cstdint>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "wire/ip_address.hpp"

namespace teardown::engine {

SeqNum initial_sequence_number(const wire::FourTuple& tuple, std::uint64_t secret, Instant now);

} // namespace teardown::engine
