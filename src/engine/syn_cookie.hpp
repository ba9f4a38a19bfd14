#pragma once
// SYN cookies (RFC 4987 §3.6): when a listener's queue of half-open
// requests is full, the SYN-ACK's ISS itself carries what the handshake
// needs, and no state is kept. The ACK that completes the handshake brings
// it back as ACK - 1; if it checks out, the connection is made then.
//
// Layout (D. J. Bernstein's, as Linux uses it): ISS = F1(4-tuple) + the
// peer's ISN + (minute << 24) + ((F2(4-tuple, minute) + MSS index) mod 2^24),
// F1, F2 keyed mixes of the Stack's secret. A cookie is good for the minute
// it was made and the next two, for its own 4-tuple and peer ISN only.
// What does not fit: window scaling, SACK and timestamps are not offered
// on a cookie's SYN-ACK, so the connection goes without them.
#include <array>
#include <cstdint>
#include <optional>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "wire/ip_address.hpp"

namespace teardown::engine {

// The MSS values a cookie can say, as Linux's msstab: the largest at or
// below the peer's MSS option is the one kept.
inline constexpr std::array<std::uint16_t, 4> k_cookie_mss{536, 1300, 1440, 1460};

// The minute counter cookies are made and checked with.
inline std::uint32_t cookie_minute(Instant now) { return static_cast<std::uint32_t>(now.nanos() / 60'000'000'000); }

// The ISS for a SYN from `peer_isn` on `tuple` (ours local), offering `peer_mss`.
SeqNum syn_cookie(const wire::FourTuple& tuple, SeqNum peer_isn, std::uint16_t peer_mss, std::uint32_t minute,
                  std::uint64_t secret);

// The MSS `cookie` carries, when it is one made for this 4-tuple and peer
// ISN within the last two minutes.
std::optional<std::uint16_t> check_syn_cookie(const wire::FourTuple& tuple, SeqNum peer_isn, SeqNum cookie,
                                              std::uint32_t minute, std::uint64_t secret);

} // namespace teardown::engine
