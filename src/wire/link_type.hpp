#pragma once
// Link-layer header types, numbered as tcpdump.org's LINKTYPE_ registry (the
// values pcap and pcapng files carry).
#include <cstdint>
#include <string_view>

namespace teardown::wire {

enum class LinkType : std::uint32_t {
    null = 0,          // BSD loopback: 4-byte address family in the capturing host's byte order
    ethernet = 1,      // Ethernet II, with 802.1Q / QinQ tags walked
    raw = 101,         // bare IPv4 or IPv6, version from the first nibble
    loop = 108,        // OpenBSD loopback: 4-byte address family in network byte order
    linux_sll = 113,   // Linux cooked capture v1 (16-byte header)
    ipv4 = 228,        // bare IPv4
    ipv6 = 229,        // bare IPv6
    linux_sll2 = 276,  // Linux cooked capture v2 (20-byte header)
};

constexpr bool is_supported(std::uint32_t link) {
    switch (link) {
    case 0: case 1: case 101: case 108: case 113: case 228: case 229: case 276: return true;
    default: return false;
    }
}

constexpr std::string_view to_string(LinkType l) {
    switch (l) {
    case LinkType::null: return "null";
    case LinkType::ethernet: return "ethernet";
    case LinkType::raw: return "raw";
    case LinkType::loop: return "loop";
    case LinkType::linux_sll: return "linux_sll";
    case LinkType::ipv4: return "ipv4";
    case LinkType::ipv6: return "ipv6";
    case LinkType::linux_sll2: return "linux_sll2";
    }
    return "unknown";
}

} // namespace teardown::wire
