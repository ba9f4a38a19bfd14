#include "wire/link.hpp"

#include <string>

#include "wire/bytes.hpp"

namespace teardown::wire {

namespace {

constexpr std::size_t k_ethernet_header = 14;
constexpr std::size_t k_vlan_tag = 4;
constexpr std::size_t k_sll_header = 16;
constexpr std::size_t k_sll2_header = 20;
constexpr std::size_t k_loopback_header = 4;

Error too_short(std::string_view what, std::size_t need, std::size_t have) {
    return Error::truncated(std::string{what} + ": header needs " + std::to_string(need) + " bytes, " +
                            std::to_string(have) + " captured");
}

// BSD address families differ by OS for IPv6 (10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS).
std::uint16_t ethertype_of_family(std::uint32_t af) {
    switch (af) {
    case 2: return ethertype::ipv4;
    case 10: case 24: case 28: case 30: return ethertype::ipv6;
    }
    return 0;
}

std::uint16_t ethertype_of_version(std::span<const std::byte> frame) {
    if (frame.empty()) return 0;
    const unsigned version = std::to_integer<unsigned>(frame[0]) >> 4;
    return version == 4 ? ethertype::ipv4 : version == 6 ? ethertype::ipv6 : 0;
}

Result<LinkView> parse_ethernet(std::span<const std::byte> frame) {
    if (frame.size() < k_ethernet_header) return too_short("ethernet", k_ethernet_header, frame.size());
    LinkView v;
    std::size_t at = 12;
    std::uint16_t type = load_be16(frame.data() + at);
    // IEEE 802.1Q/802.1ad: each tag is TPID (already read), TCI, then the next type.
    while (type == ethertype::vlan || type == ethertype::qinq || type == ethertype::qinq_old) {
        if (frame.size() < at + 2 + k_vlan_tag)
            return too_short("vlan", at + 2 + k_vlan_tag, frame.size());
        if (v.vlan_count == LinkView::k_max_vlans)
            return Error::unsupported("vlan: more than " + std::to_string(LinkView::k_max_vlans) + " stacked tags");
        v.vlan_ids[v.vlan_count++] = load_be16(frame.data() + at + 2) & 0x0FFF;
        at += k_vlan_tag;
        type = load_be16(frame.data() + at);
    }
    v.ethertype = type;
    v.network_offset = at + 2;
    return v;
}

} // namespace

Result<LinkView> parse_any_link(LinkType link, std::span<const std::byte> frame) {
    LinkView v;
    switch (link) {
    case LinkType::ethernet:
        return parse_ethernet(frame);
    case LinkType::linux_sll:
        if (frame.size() < k_sll_header) return too_short("linux_sll", k_sll_header, frame.size());
        v.ethertype = load_be16(frame.data() + 14);
        v.network_offset = k_sll_header;
        return v;
    case LinkType::linux_sll2:
        if (frame.size() < k_sll2_header) return too_short("linux_sll2", k_sll2_header, frame.size());
        v.ethertype = load_be16(frame.data());
        v.network_offset = k_sll2_header;
        return v;
    case LinkType::null: {
        if (frame.size() < k_loopback_header) return too_short("null", k_loopback_header, frame.size());
        // Written in the capturing host's byte order: try both.
        std::uint16_t type = ethertype_of_family(load_le32(frame.data()));
        if (type == 0) type = ethertype_of_family(load_be32(frame.data()));
        v.ethertype = type;
        v.network_offset = k_loopback_header;
        return v;
    }
    case LinkType::loop:
        if (frame.size() < k_loopback_header) return too_short("loop", k_loopback_header, frame.size());
        v.ethertype = ethertype_of_family(load_be32(frame.data()));
        v.network_offset = k_loopback_header;
        return v;
    case LinkType::raw:
        v.ethertype = ethertype_of_version(frame);
        return v;
    case LinkType::ipv4:
        v.ethertype = ethertype::ipv4;
        return v;
    case LinkType::ipv6:
        v.ethertype = ethertype::ipv6;
        return v;
    }
    return Error::unsupported("link type " + std::to_string(static_cast<std::uint32_t>(link)) + " is not decoded");
}

} // namespace teardown::wire
