#pragma once
// One of several analyzers that share out a capture's connections by their
// 4-tuple's hash, one a thread (`teardown analyze --threads N`). Every shard
// reads every frame: most frames (Ethernet, IPv4 without options, TCP) name
// their shard from fixed offsets without decoding (quick_shard_hash), and a
// shard reads only its own (quick_segment, or the general decoder); the
// others still move its clock and count its place, so each shard finishes
// connections at the frames where one analyzer would, and numbers segments
// as one analyzer does. Frames that are not TCP, or do not decode, count in
// shard 0.
//
// Its records go to its sink with their ReportKey (when it reported them,
// and the connection's first packet, which is also the record's id); with
// the shard's reached() and take_starts(), a RecordMerge of all shards puts
// them in one analyzer's order and numbers.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "analyze/analyzer.hpp"
#include "analyze/quick_frame.hpp"
#include "analyze/record_merge.hpp"
#include "wire/link_type.hpp"
#include "wire/packet.hpp"

namespace teardown::analyze {

class AnalyzerShard {
public:
    using Sink = std::function<void(ReportKey key, ConnectionRecord&& record)>;
    // Shard `index` of `count`; `limits.max_flows` is shared out among them.
    AnalyzerShard(AnalyzerLimits limits, unsigned index, unsigned count, Sink sink);
    AnalyzerShard(const AnalyzerShard&) = delete;  // its analyzer's sink points back at it
    AnalyzerShard& operator=(const AnalyzerShard&) = delete;

    // Every frame of the capture, in order. Inline as far as another
    // shard's plain frame goes, which is most frames: only its time and
    // place count here.
    void on_frame(Instant ts, wire::LinkType link, std::span<const std::byte> data, std::uint32_t orig_len) {
        const auto quick = quick_shard_hash(link, data);
        if (quick && !mine(*quick)) return analyzer_.on_elsewhere(ts);
        on_other_frame(ts, link, data, orig_len, quick);
    }
    void finish() {
        analyzer_.finish();
        finished_ = true;
    }
    // How far the shard has come: no record it reports from now on comes
    // before this (ReportKey::end() once finished).
    ReportKey reached() const;
    // The connections it began since the last call, by first packet, in order.
    std::vector<std::uint64_t> take_starts() { return analyzer_.take_starts(); }

    Analyzer& analyzer() { return analyzer_; }
    const Analyzer& analyzer() const { return analyzer_; }
    // Which shard of `count` a flow of FlowKey::shard_hash() `h` belongs to:
    // its upper half scaled to [0, count), without a division.
    static unsigned owner_of(std::uint64_t h, unsigned count) { return static_cast<unsigned>(((h >> 32) * count) >> 32); }

private:
    bool mine(std::uint64_t h) const { return owner_of(h, count_) == index_; }
    // The rest of on_frame(), `quick` the frame's quick_shard_hash().
    void on_other_frame(Instant ts, wire::LinkType link, std::span<const std::byte> data, std::uint32_t orig_len,
                        std::optional<std::uint64_t> quick);

    Sink sink_;
    ReportKey last_{};  // the last record's
    Analyzer analyzer_;
    unsigned index_;
    unsigned count_;
    bool checksums_;
    bool finished_{false};
    wire::DecodedPacket packet_;
};

} // namespace teardown::analyze
