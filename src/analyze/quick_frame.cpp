#include "analyze/quick_frame.hpp"

#include <algorithm>
#include <cstring>

#include "wire/bytes.hpp"
#include "wire/tcp.hpp"

namespace teardown::analyze {

using namespace quick;

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
