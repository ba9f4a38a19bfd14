#include "analyze/analyzer_shard.hpp"

#include <algorithm>

namespace teardown::analyze {

AnalyzerShard::AnalyzerShard(AnalyzerLimits limits, unsigned index, unsigned count, Sink sink)
    : sink_{std::move(sink)},
      analyzer_{[&] {
                    limits.max_flows = std::max<std::size_t>(1, limits.max_flows / std::max(count, 1u));
                    return limits;
                }(),
                [this](ConnectionRecord&& r) {
                    last_ = {analyzer_.report_moment(), r.id};
                    sink_(last_, std::move(r));
                }},
      index_{index},
      count_{std::max(count, 1u)},
      checksums_{limits.checksums} {
    analyzer_.number_by_first_packet();
}

ReportKey AnalyzerShard::reached() const {
    if (finished_) return ReportKey::end();
    // Later reports come at a later moment, or later in this one: reports of one moment go by id.
    return std::max(ReportKey{analyzer_.next_moment(), 0}, ReportKey{last_.moment, last_.first_packet + 1});
}

void AnalyzerShard::on_other_frame(Instant ts, wire::LinkType link, std::span<const std::byte> data, std::uint32_t orig_len,
                                   std::optional<std::uint64_t> quick) {
    if (quick && analyzer_.on_quick_segment(ts, link, data, orig_len)) return;
    if (wire::decode_into(link, data, orig_len, packet_)) {
        // A frame that looked like this shard's TCP is this shard's to count, whatever it was.
        return quick || index_ == 0 ? analyzer_.on_malformed(ts) : analyzer_.on_elsewhere(ts);
    }
    FlowKey key;
    CapturedSegment s;
    if (!key_of(packet_, key, s.from_lo)) return quick || index_ == 0 ? analyzer_.on_not_tcp(ts) : analyzer_.on_elsewhere(ts);
    if (!mine(quick ? *quick : key.shard_hash())) return analyzer_.on_elsewhere(ts);
    segment_of(ts, packet_, checksums_, s);
    analyzer_.on_segment(key, s);
}

} // namespace teardown::analyze
