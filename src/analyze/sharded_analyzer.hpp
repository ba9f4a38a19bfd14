#pragma once
// The analyzer on several cores: the caller's thread reads and decodes, and
// hands each TCP packet to one of N worker threads chosen by its 4-tuple's
// hash, so that every packet of a connection (and of every later connection
// on its 4-tuple) goes through the same worker's Analyzer, in capture order.
// The records come back through `sink`, on the caller's thread, from
// finish(), in the order their connections began, numbered as one Analyzer
// would number them. They are held until then.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "analyze/analyzer.hpp"

namespace teardown::analyze {

class ShardedAnalyzer {
public:
    // `limits.max_flows` is shared out among the shards.
    ShardedAnalyzer(AnalyzerLimits limits, unsigned shards, Analyzer::Sink sink);
    ~ShardedAnalyzer();
    ShardedAnalyzer(const ShardedAnalyzer&) = delete;
    ShardedAnalyzer& operator=(const ShardedAnalyzer&) = delete;

    void on_frame(Instant ts, const wire::DecodedPacket& p, std::uint32_t wire_len);
    void on_malformed() { ++malformed_; ++packets_; }
    void finish();
    // The shards' counts added up (after finish()).
    AnalyzerCounts counts() const;

private:
    struct Keyed {
        FlowKey key;
        CapturedSegment segment;
    };
    struct Shard {
        std::unique_ptr<Analyzer> analyzer;
        std::vector<ConnectionRecord> records;
        std::mutex lock;
        std::condition_variable ready;
        std::deque<std::vector<Keyed>> batches;  // handed over, not yet analyzed
        bool closing{false};
        std::thread worker;
    };
    static void work(Shard& s);

    AnalyzerLimits limits_;
    Analyzer::Sink sink_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::vector<Keyed>> pending_;  // per shard, filling
    std::uint64_t packets_{0};
    std::uint64_t malformed_{0};
    std::uint64_t not_tcp_{0};
    bool finished_{false};
};

} // namespace teardown::analyze
