#pragma once
// The analyzer on several cores. Each shard is an Analyzer that owns the
// flows whose key hashes to it; the caller runs one thread a shard, each
// reading the whole capture (mapped once, so the reading is shared through
// the page cache) and offering every frame to its shard, which decodes it
// and keeps the segments of its own flows. No packet crosses a thread, so
// nothing waits on a lock; every packet of a connection (and of every later
// connection on its 4-tuple) goes through the same shard, in capture order.
//
// Each shard's records go to its own sink, on its thread, numbered by
// their connection's first packet (its place in the capture): ordered by
// that number and renumbered 1, 2, 3 ..., they are what one Analyzer says,
// numbered as it numbers them (report::PendingLine carries the order).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "analyze/analyzer.hpp"

namespace teardown::analyze {

class ShardedAnalyzer {
public:
    // `limits.max_flows` is shared out among the shards; `sink_of(i)` is shard i's sink.
    ShardedAnalyzer(AnalyzerLimits limits, unsigned shards, const std::function<Analyzer::Sink(unsigned)>& sink_of);

    unsigned shards() const { return static_cast<unsigned>(shards_.size()); }
    // On shard `i`'s thread, every frame of the capture in order: a decoded
    // one, or one the decoder refused.
    void on_frame(unsigned i, Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len);
    void on_malformed(unsigned i);
    // On shard `i`'s thread, after its last frame: its connections still tracked go to its sink.
    void finish(unsigned i) { shards_[i]->analyzer->finish(); }
    // The shards' counts added up (after finish()); frames that are not a
    // flow's (not TCP, malformed) are counted once.
    AnalyzerCounts counts() const;

private:
    struct Shard {
        std::unique_ptr<Analyzer> analyzer;
        std::uint64_t frames{0};  // every frame offered, this shard's or not: the capture index
        std::uint64_t not_tcp{0};
        std::uint64_t malformed{0};
    };
    AnalyzerLimits limits_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

} // namespace teardown::analyze
