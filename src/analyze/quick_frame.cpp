#include "analyze/quick_frame.hpp"

#include <algorithm>
#include <cstring>

#include "wire/bytes.hpp"
#include "wire/tcp.hpp"

namespace teardown::analyze {

namespace {

constexpr std::size_t k_ip = 14;             // after Ethernet II's header
constexpr std::size_t k_tcp = k_ip + 20;     // after IPv4's without options

// Ethernet II carrying IPv4 (version 4, IHL 5) with protocol 6, neither a
// later fragment nor one with more to come, with the ports captured.
bool plain(wire::LinkType link, std::span<const std::byte> frame) {
    if (link != wire::LinkType::ethernet || frame.size() < k_tcp + 4) return false;
    const std::byte* p = frame.data();
    return wire::load_be16(p + 12) == 0x0800 && p[k_ip] == std::byte{0x45} && p[k_ip + 9] == std::byte{6} &&
           (wire::load_be16(p + k_ip + 6) & 0x3FFF) == 0;
}

} // namespace

std::uint8_t window_scale_offered(std::span<const std::byte> options) {
    // RFC 7323 §2.3: a shift over 14 is taken as 14. The window is scaled
    // only when both SYNs offer one: the tracker decides that.
    std::uint8_t shift = CapturedSegment::k_no_scale;
    wire::TcpOptionIterator it{options};
    wire::TcpOptionView o;
    while (it.next(o))
        if (o.kind == wire::tcp_option::window_scale && o.data.size() == 1)
            shift = std::min<std::uint8_t>(14, std::to_integer<std::uint8_t>(o.data[0]));
    return shift;
}

std::optional<std::uint64_t> quick_shard_hash(wire::LinkType link, std::span<const std::byte> frame) {
    if (!plain(link, frame)) return std::nullopt;
    const std::byte* p = frame.data();
    std::uint32_t src, dst;  // as FlowKey holds them: the bytes as they are
    std::memcpy(&src, p + k_ip + 12, 4);
    std::memcpy(&dst, p + k_ip + 16, 4);
    return FlowKey::shard_hash_of(src ^ dst, wire::load_be16(p + k_tcp) ^ wire::load_be16(p + k_tcp + 2));
}

bool quick_segment(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len, FlowKey& key,
                   CapturedSegment& s) {
    if (!plain(link, frame) || frame.size() < k_tcp + 20) return false;
    const std::byte* p = frame.data();
    // IPv4 (Ipv4View::parse): the total length covers the header and is not
    // beyond what the packet had on the wire.
    const std::size_t on_wire = std::max<std::size_t>(orig_len, frame.size()) - k_ip;
    const std::size_t total = wire::load_be16(p + k_ip + 2);
    if (total < 20 || total > on_wire) return false;
    // TCP (TcpView::parse): a whole header of at least 20 bytes within the
    // segment the IP header declares and the capture holds.
    const std::size_t segment_length = total - 20;
    const std::size_t captured = std::min(total, frame.size() - k_ip) - 20;
    const std::size_t kept = std::min(captured, segment_length);
    const std::size_t header = (std::to_integer<std::size_t>(p[k_tcp + 12]) >> 4) * 4;
    if (segment_length < 20 || header < 20 || header > kept) return false;

    const std::byte* t = p + k_tcp;
    s.ts = ts;
    s.src_port = wire::load_be16(t);
    s.dst_port = wire::load_be16(t + 2);
    key.assign(false, p + k_ip + 12, s.src_port, p + k_ip + 16, s.dst_port, s.from_lo);
    s.seq = SeqNum{wire::load_be32(t + 4)};
    s.ack = SeqNum{wire::load_be32(t + 8)};
    s.flags = wire::TcpFlags{wire::load_u8(t + 13)};
    s.window = wire::load_be16(t + 14);
    s.payload_len = static_cast<std::uint32_t>(segment_length - header);
    s.ip_len = static_cast<std::uint32_t>(total);
    s.window_scale = s.flags.syn_set() ? window_scale_offered({t + 20, header - 20}) : CapturedSegment::k_no_scale;
    s.truncated = kept != segment_length;
    s.bad_checksum = false;
    return true;
}

} // namespace teardown::analyze
