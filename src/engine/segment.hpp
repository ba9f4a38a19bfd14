#pragma once
// A segment as the engine takes and gives it: addresses, the TCP header as a
// plain value, and the payload. Bytes on the wire are the edges' business
// (wire::emit_tcp with the profile's option layout).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/ip_address.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::engine {

struct Segment {
    wire::IpAddress src;
    wire::IpAddress dst;
    wire::TcpRepr tcp;
    std::vector<std::byte> payload;

    // Sequence space it occupies: payload, plus one each for SYN and FIN (RFC 9293 §3.4).
    std::uint32_t seq_len() const { return tcp.seq_len(payload.size()); }
    bool operator==(const Segment&) const = default;
};

} // namespace teardown::engine
