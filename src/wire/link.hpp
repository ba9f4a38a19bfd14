#pragma once
// The link layer: which network protocol a frame carries and where it starts.
// Ethernet II with 802.1Q/802.1ad tags, Linux cooked capture v1 and v2, BSD
// null and OpenBSD loop, and the raw link types that carry IP directly.
#include <array>
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/link_type.hpp"

namespace teardown::wire {

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t ipv6 = 0x86DD;
inline constexpr std::uint16_t vlan = 0x8100;      // IEEE 802.1Q
inline constexpr std::uint16_t qinq = 0x88A8;      // IEEE 802.1ad service tag
inline constexpr std::uint16_t qinq_old = 0x9100;  // pre-standard QinQ
} // namespace ethertype

struct LinkView {
    static constexpr std::size_t k_max_vlans = 4;
    std::uint16_t ethertype{0};           // of the network layer; 0 when not known
    std::uint8_t vlan_count{0};
    std::array<std::uint16_t, k_max_vlans> vlan_ids{};  // outermost first
    std::size_t network_offset{0};        // where the network header starts
};

// Every link type, VLAN tags walked. Errors name the link type and field; a
// frame too short for its link header is an error, a network protocol we do
// not decode is not (ethertype says).
Result<LinkView> parse_any_link(LinkType link, std::span<const std::byte> frame);

// The same, with untagged Ethernet (most of any capture) decided inline.
inline Result<LinkView> parse_link(LinkType link, std::span<const std::byte> frame) {
    if (link == LinkType::ethernet && frame.size() >= 14) {
        const std::uint16_t type = load_be16(frame.data() + 12);
        if (type != ethertype::vlan && type != ethertype::qinq && type != ethertype::qinq_old) {
            LinkView v;
            v.ethertype = type;
            v.network_offset = 14;
            return v;
        }
    }
    return parse_any_link(link, frame);
}

} // namespace teardown::wire
