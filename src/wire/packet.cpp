#include "wire/packet.hpp"

#include <algorithm>

#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"
#include "wire/ipv6.hpp"

namespace teardown::wire {

ChecksumStatus DecodedPacket::tcp_checksum() const {
    if (!tcp || fragment || !tcp->payload_complete()) return ChecksumStatus::unknown;
    return tcp_checksum_valid(tcp->bytes(), src(), dst()) ? ChecksumStatus::valid : ChecksumStatus::invalid;
}

ChecksumStatus DecodedPacket::ip_checksum() const {
    if (ip_header.empty()) return ChecksumStatus::unknown;
    return internet_checksum(ip_header) == 0 ? ChecksumStatus::valid : ChecksumStatus::invalid;
}

std::optional<Error> decode_into(LinkType link, std::span<const std::byte> captured, std::uint32_t orig_len,
                                 DecodedPacket& d) {
    d.link = link;
    d.is_ip = false;
    d.fragment = false;
    d.protocol = 0;
    d.ip_id = 0;
    d.ip_header = {};
    d.ip_length = 0;
    d.tcp.reset();
    auto lv = parse_link(link, captured);
    if (!lv) return lv.error();
    d.link_view = *lv;
    const std::size_t off = lv->network_offset;
    const std::span<const std::byte> net = captured.subspan(off);
    // The packet's real length from the network header on; a capture never holds more.
    const std::size_t on_wire = std::max<std::size_t>(orig_len, captured.size()) - off;

    std::span<const std::byte> segment;
    std::size_t segment_length = 0;
    if (lv->ethertype == ethertype::ipv4) {
        auto ip = Ipv4View::parse(net, on_wire);
        if (!ip) return ip.error();
        d.is_ip = true;
        d.ip_version = IpVersion::v4;
        d.src_bytes = net.data() + 12;
        d.dst_bytes = net.data() + 16;
        d.ttl = ip->ttl();
        d.ip_id = ip->id();
        d.protocol = ip->protocol();
        d.fragment = ip->is_fragment();
        d.ip_header = ip->header();
        d.ip_length = ip->total_length();
        if (d.protocol != 6 || ip->fragment_offset() != 0) return std::nullopt;
        segment = ip->payload();
        segment_length = ip->payload_length();
    } else if (lv->ethertype == ethertype::ipv6) {
        auto ip = Ipv6View::parse(net, on_wire);
        if (!ip) return ip.error();
        d.is_ip = true;
        d.ip_version = IpVersion::v6;
        d.src_bytes = net.data() + 8;
        d.dst_bytes = net.data() + 24;
        d.ttl = ip->hop_limit();
        d.protocol = ip->upper_protocol();
        d.fragment = ip->is_fragment();
        d.ip_length = 40u + ip->payload_length_field();
        if (d.protocol != 6 || (ip->is_fragment() && !ip->is_first_fragment())) return std::nullopt;
        segment = ip->upper_payload();
        segment_length = ip->upper_length();
    } else {
        return std::nullopt;
    }
    // A first fragment declares only its own share of the segment; the TCP
    // header must still be whole within it.
    auto tcp = TcpView::parse(segment, segment_length);
    if (!tcp) return tcp.error();
    d.tcp = *tcp;
    return std::nullopt;
}

Result<DecodedPacket> decode(LinkType link, std::span<const std::byte> captured, std::uint32_t orig_len) {
    DecodedPacket d;
    if (auto error = decode_into(link, captured, orig_len, d)) return std::move(*error);
    return d;
}

} // namespace teardown::wire
