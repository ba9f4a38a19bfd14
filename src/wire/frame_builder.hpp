#pragma once
// Builds whole frames around a TCP segment: the link header of any link type
// we decode (Ethernet with 802.1Q/QinQ tags, Linux cooked v1/v2, null, loop,
// raw), an IPv4 header (with options and fragment fields) or an IPv6 header
// (with extension headers), and the segment with its checksum. For the
// simulator's and lab's captures and for tests.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "wire/ip_address.hpp"
#include "wire/link_type.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::wire {

struct Ipv6Extension {
    std::uint8_t type{0};             // hop-by-hop 0, routing 43, fragment 44, destination options 60
    std::vector<std::byte> body;      // after the next-header and length octets; padded to 8 by the builder
};

struct FrameSpec {
    LinkType link{LinkType::ethernet};
    std::vector<std::uint16_t> vlans;  // outermost first; with two or more the outer TPID is 802.1ad
    IpAddress src;
    IpAddress dst;
    std::uint8_t ttl{64};
    std::uint16_t ip_id{0};
    bool dont_fragment{true};
    bool more_fragments{false};
    std::uint16_t fragment_offset{0};          // IPv4, in 8-byte units
    std::vector<std::byte> ipv4_options;       // padded to 4 with EOL by the builder
    std::vector<Ipv6Extension> ipv6_extensions;
    bool corrupt_ip_checksum{false};
    TcpRepr tcp;
    OptionLayout layout{OptionLayout::rfc};
    std::span<const std::byte> payload;
    bool corrupt_tcp_checksum{false};
};

// Appends the frame to `out`. Errors: mismatched address families, options too long.
Result<void> build_frame(const FrameSpec& spec, std::vector<std::byte>& out);

} // namespace teardown::wire
