#pragma once
// One of several analyzers that share out a capture's connections by their
// 4-tuple's hash, one a thread (`teardown analyze --threads N`). Every shard
// reads every frame: most frames (Ethernet, IPv4 without options, TCP) name
// their shard from fixed offsets without decoding (quick_flow_hash), and a
// shard reads only its own (quick_segment, or the general decoder); the others still move its clock and count its
// place, so each shard finishes connections at the frames where one
// analyzer would, and numbers segments as one analyzer does. Frames that
// are not TCP, or do not decode, count in shard 0.
//
// Its records go to its sink with Analyzer::report_moment() and the
// connection's first packet as id (number_by_first_packet); a RecordMerge
// of all shards puts them in one analyzer's order and numbers.
#include <cstdint>
#include <optional>
#include <span>

#include "analyze/analyzer.hpp"
#include "analyze/quick_frame.hpp"
#include "wire/link_type.hpp"
#include "wire/packet.hpp"

namespace teardown::analyze {

class AnalyzerShard {
public:
    // Shard `index` of `count`; `limits.max_flows` is shared out among them.
    AnalyzerShard(AnalyzerLimits limits, unsigned index, unsigned count, Analyzer::Sink sink);

    // Every frame of the capture, in order.
    void on_frame(Instant ts, wire::LinkType link, std::span<const std::byte> data, std::uint32_t orig_len);
    void finish() { analyzer_.finish(); }

    Analyzer& analyzer() { return analyzer_; }
    const Analyzer& analyzer() const { return analyzer_; }
    // Which shard of `count` a flow of hash `h` belongs to (the flow table uses the lower half).
    static unsigned owner_of(std::uint64_t h, unsigned count) { return static_cast<unsigned>((h >> 32) % count); }

private:
    bool mine(std::uint64_t h) const { return owner_of(h, count_) == index_; }

    Analyzer analyzer_;
    unsigned index_;
    unsigned count_;
    bool checksums_;
    wire::DecodedPacket packet_;
};

} // namespace teardown::analyze
