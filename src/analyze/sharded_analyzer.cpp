#include "analyze/sharded_analyzer.hpp"

#include <algorithm>

namespace teardown::analyze {

ShardedAnalyzer::ShardedAnalyzer(AnalyzerLimits limits, unsigned shards, const std::function<Analyzer::Sink(unsigned)>& sink_of)
    : limits_{limits} {
    shards = std::max(shards, 1u);
    AnalyzerLimits each = limits;
    each.max_flows = std::max<std::size_t>(1, limits.max_flows / shards);
    for (unsigned i = 0; i < shards; ++i) {
        auto s = std::make_unique<Shard>();
        s->analyzer = std::make_unique<Analyzer>(each, sink_of(i));
        // Numbered by first packet, so that the merge can number them as one analyzer would.
        s->analyzer->number_by_first_packet();
        shards_.push_back(std::move(s));
    }
}

void ShardedAnalyzer::on_frame(unsigned i, Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len) {
    Shard& s = *shards_[i];
    const std::uint64_t index = s.frames++;
    FlowKey key;
    CapturedSegment seg;
    if (!key_of(d, key, seg.from_lo)) {
        ++s.not_tcp;
        return;
    }
    // The shard from the hash's upper half; each shard's table uses the lower.
    if ((key.hash() >> 32) % shards_.size() != i) return;
    segment_of(ts, d, wire_len, limits_.checksums, seg);
    seg.index = index;
    s.analyzer->on_segment(key, seg);
}

void ShardedAnalyzer::on_malformed(unsigned i) {
    Shard& s = *shards_[i];
    ++s.frames;
    ++s.malformed;
}

AnalyzerCounts ShardedAnalyzer::counts() const {
    AnalyzerCounts c;
    const Shard& first = *shards_.front();
    c.packets = first.frames;
    c.not_tcp = first.not_tcp;
    c.malformed = first.malformed;
    for (const auto& s : shards_) {
        const auto& a = s->analyzer->counts();
        c.tcp_packets += a.tcp_packets;
        c.truncated += a.truncated;
        c.bad_checksums += a.bad_checksums;
        c.out_of_order += a.out_of_order;
        c.evicted_full += a.evicted_full;
        c.evicted_idle += a.evicted_idle;
        c.connections += a.connections;
        c.peak_tracked += a.peak_tracked;
        c.peak_table_bytes += a.peak_table_bytes;
    }
    return c;
}

} // namespace teardown::analyze
