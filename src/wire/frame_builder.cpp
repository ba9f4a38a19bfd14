#include "wire/frame_builder.hpp"

#include <algorithm>
#include <cstring>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/link.hpp"
#include "wire/tcp.hpp"

namespace teardown::wire {

namespace {

constexpr std::uint16_t k_sll_protocol_type_unicast_to_us = 0;
constexpr std::uint16_t k_arphrd_ether = 1;

void put16(std::vector<std::byte>& out, std::uint16_t v) {
    out.resize(out.size() + 2);
    store_be16(out.data() + out.size() - 2, v);
}

void put_bytes(std::vector<std::byte>& out, std::initializer_list<unsigned> bytes) {
    for (unsigned b : bytes) out.push_back(std::byte(static_cast<unsigned char>(b)));
}

void link_header(const FrameSpec& s, std::uint16_t type, std::vector<std::byte>& out) {
    switch (s.link) {
    case LinkType::ethernet:
        put_bytes(out, {0x02, 0x00, 0x00, 0x00, 0x00, 0x02});  // locally administered MACs
        put_bytes(out, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
        for (std::size_t i = 0; i < s.vlans.size(); ++i) {
            const bool outer_of_several = s.vlans.size() > 1 && i == 0;
            put16(out, outer_of_several ? ethertype::qinq : ethertype::vlan);
            put16(out, s.vlans[i] & 0x0FFF);
        }
        put16(out, type);
        return;
    case LinkType::linux_sll:
        put16(out, k_sll_protocol_type_unicast_to_us);
        put16(out, k_arphrd_ether);
        put16(out, 6);
        put_bytes(out, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});
        put16(out, type);
        return;
    case LinkType::linux_sll2:
        put16(out, type);
        put16(out, 0);                          // reserved
        put_bytes(out, {0x00, 0x00, 0x00, 0x01});  // interface index
        put16(out, k_arphrd_ether);
        put_bytes(out, {0x00, 0x06});           // packet type, address length
        put_bytes(out, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});
        return;
    case LinkType::null: {
        // Host byte order of the capturing machine; we write little-endian.
        const std::uint32_t af = type == ethertype::ipv4 ? 2 : 24;  // BSD AF_INET6 (NetBSD, OpenBSD)
        out.resize(out.size() + 4);
        store_le32(out.data() + out.size() - 4, af);
        return;
    }
    case LinkType::loop: {
        const std::uint32_t af = type == ethertype::ipv4 ? 2 : 24;
        out.resize(out.size() + 4);
        store_be32(out.data() + out.size() - 4, af);
        return;
    }
    case LinkType::raw:
    case LinkType::ipv4:
    case LinkType::ipv6:
        return;
    }
}

} // namespace

Result<void> build_frame(const FrameSpec& s, std::vector<std::byte>& out) {
    if (s.src.version() != s.dst.version()) return Error::bad_value("frame: source and destination differ in IP version");
    if (s.link == LinkType::ipv4 && !s.src.is_v4()) return Error::bad_value("frame: link type ipv4 with an IPv6 packet");
    if (s.link == LinkType::ipv6 && s.src.is_v4()) return Error::bad_value("frame: link type ipv6 with an IPv4 packet");
    const bool v4 = s.src.is_v4();
    link_header(s, v4 ? ethertype::ipv4 : ethertype::ipv6, out);

    std::vector<std::byte> segment(60 + s.payload.size());
    auto len = emit_tcp(s.tcp, s.layout, s.payload, s.src, s.dst, segment);
    if (!len) return len.error();
    segment.resize(*len);
    if (s.corrupt_tcp_checksum) segment[16] ^= std::byte{0xFF};

    if (v4) {
        std::vector<std::byte> options = s.ipv4_options;
        while (options.size() % 4 != 0) options.push_back(std::byte{0});
        if (options.size() > 40) return Error::bad_length("frame: IPv4 options over 40 bytes");
        const std::size_t header = 20 + options.size();
        const std::size_t start = out.size();
        out.resize(start + header);
        std::byte* p = out.data() + start;
        store_u8(p, static_cast<std::uint8_t>(0x40 | (header / 4)));
        store_u8(p + 1, 0);
        store_be16(p + 2, static_cast<std::uint16_t>(header + segment.size()));
        store_be16(p + 4, s.ip_id);
        store_be16(p + 6, static_cast<std::uint16_t>((s.dont_fragment ? 0x4000 : 0) | (s.more_fragments ? 0x2000 : 0) |
                                                     (s.fragment_offset & 0x1FFF)));
        store_u8(p + 8, s.ttl);
        store_u8(p + 9, 6);
        store_be16(p + 10, 0);
        std::memcpy(p + 12, s.src.bytes().data(), 4);
        std::memcpy(p + 16, s.dst.bytes().data(), 4);
        if (!options.empty()) std::memcpy(p + 20, options.data(), options.size());
        std::uint16_t sum = internet_checksum({p, header});
        if (s.corrupt_ip_checksum) sum ^= 0xFFFF;
        store_be16(p + 10, sum);
    } else {
        std::vector<std::byte> ext;
        for (std::size_t i = 0; i < s.ipv6_extensions.size(); ++i) {
            const auto& e = s.ipv6_extensions[i];
            const std::uint8_t next = i + 1 < s.ipv6_extensions.size() ? s.ipv6_extensions[i + 1].type : 6;
            std::vector<std::byte> h(2 + e.body.size());
            h[0] = std::byte{next};
            std::copy(e.body.begin(), e.body.end(), h.begin() + 2);
            if (e.type == 44) {
                h.resize(8);  // RFC 8200 §4.5: the fragment header is always 8 bytes
            } else {
                while (h.size() % 8 != 0) h.push_back(std::byte{0});
                h[1] = std::byte(static_cast<unsigned char>(h.size() / 8 - 1));
            }
            ext.insert(ext.end(), h.begin(), h.end());
        }
        const std::size_t start = out.size();
        out.resize(start + 40);
        std::byte* p = out.data() + start;
        store_be32(p, 0x60000000u);
        store_be16(p + 4, static_cast<std::uint16_t>(ext.size() + segment.size()));
        store_u8(p + 6, s.ipv6_extensions.empty() ? std::uint8_t{6} : s.ipv6_extensions.front().type);
        store_u8(p + 7, s.ttl);
        std::memcpy(p + 8, s.src.bytes().data(), 16);
        std::memcpy(p + 24, s.dst.bytes().data(), 16);
        out.insert(out.end(), ext.begin(), ext.end());
    }
    out.insert(out.end(), segment.begin(), segment.end());
    return {};
}

} // namespace teardown::wire
