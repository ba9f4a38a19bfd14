#include "analyze/analyzer_shard.hpp"

#include <algorithm>

#include "wire/bytes.hpp"

namespace teardown::analyze {

std::optional<std::uint64_t> quick_flow_hash(wire::LinkType link, std::span<const std::byte> frame) {
    // Ethernet II (14 bytes), IPv4 of 20 (version 4, IHL 5), protocol 6,
    // neither a later fragment nor one with more to come; the ports follow.
    constexpr std::size_t k_ip = 14, k_tcp = k_ip + 20;
    if (link != wire::LinkType::ethernet || frame.size() < k_tcp + 4) return std::nullopt;
    const std::byte* p = frame.data();
    if (wire::load_be16(p + 12) != 0x0800 || p[k_ip] != std::byte{0x45} || p[k_ip + 9] != std::byte{6} ||
        (wire::load_be16(p + k_ip + 6) & 0x3FFF) != 0)
        return std::nullopt;
    bool from_lo = false;
    return FlowKey::of(false, p + k_ip + 12, wire::load_be16(p + k_tcp), p + k_ip + 16, wire::load_be16(p + k_tcp + 2), from_lo)
        .hash();
}

AnalyzerShard::AnalyzerShard(AnalyzerLimits limits, unsigned index, unsigned count, Analyzer::Sink sink)
    : analyzer_{[&] {
                    limits.max_flows = std::max<std::size_t>(1, limits.max_flows / std::max(count, 1u));
                    return limits;
                }(),
                std::move(sink)},
      index_{index},
      count_{std::max(count, 1u)},
      checksums_{limits.checksums} {
    analyzer_.number_by_first_packet();
}

void AnalyzerShard::on_frame(Instant ts, wire::LinkType link, std::span<const std::byte> data, std::uint32_t orig_len) {
    const auto quick = quick_flow_hash(link, data);
    if (quick && !mine(*quick)) return analyzer_.on_elsewhere(ts);
    if (wire::decode_into(link, data, orig_len, packet_)) {
        // A frame that looked like this shard's TCP is this shard's to count, whatever it was.
        return quick || index_ == 0 ? analyzer_.on_malformed(ts) : analyzer_.on_elsewhere(ts);
    }
    FlowKey key;
    CapturedSegment s;
    if (!key_of(packet_, key, s.from_lo)) return quick || index_ == 0 ? analyzer_.on_not_tcp(ts) : analyzer_.on_elsewhere(ts);
    const std::uint64_t h = quick ? *quick : key.hash();
    if (!mine(h)) return analyzer_.on_elsewhere(ts);
    segment_of(ts, packet_, checksums_, s);
    s.index = analyzer_.frames();
    analyzer_.on_segment(key, s, h);
}

} // namespace teardown::analyze
