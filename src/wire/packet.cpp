#include "wire/packet.hpp"

#include <algorithm>

#include "wire/ipv4.hpp"
#include "wire/ipv6.hpp"

namespace teardown::wire {

ChecksumStatus DecodedPacket::tcp_checksum() const {
    if (!tcp || fragment || !tcp->payload_complete()) return ChecksumStatus::unknown;
    return tcp_checksum_valid(tcp->bytes(), src, dst) ? ChecksumStatus::valid : ChecksumStatus::invalid;
}

Result<DecodedPacket> decode(LinkType link, std::span<const std::byte> captured, std::uint32_t orig_len) {
    DecodedPacket d;
    d.link = link;
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
        d.src = ip->src();
        d.dst = ip->dst();
        d.ttl = ip->ttl();
        d.ip_id = ip->id();
        d.protocol = ip->protocol();
        d.fragment = ip->is_fragment();
        d.ip_checksum = ip->header_checksum_valid() ? ChecksumStatus::valid : ChecksumStatus::invalid;
        if (d.protocol != 6 || ip->fragment_offset() != 0) return d;
        segment = ip->payload();
        segment_length = ip->payload_length();
    } else if (lv->ethertype == ethertype::ipv6) {
        auto ip = Ipv6View::parse(net, on_wire);
        if (!ip) return ip.error();
        d.is_ip = true;
        d.ip_version = IpVersion::v6;
        d.src = ip->src();
        d.dst = ip->dst();
        d.ttl = ip->hop_limit();
        d.protocol = ip->upper_protocol();
        d.fragment = ip->is_fragment();
        if (d.protocol != 6 || (ip->is_fragment() && !ip->is_first_fragment())) return d;
        segment = ip->upper_payload();
        segment_length = ip->upper_length();
    } else {
        return d;
    }
    // A first fragment declares only its own share of the segment; the TCP
    // header must still be whole within it.
    auto tcp = TcpView::parse(segment, segment_length);
    if (!tcp) return tcp.error();
    d.tcp = *tcp;
    return d;
}

} // namespace teardown::wire
