#pragma once
// The analyzer on several cores. The caller's thread reads and decodes the
// capture and hands each TCP segment, with its flow key, to one of the
// worker threads, chosen by the key's hash; each worker is an Analyzer that
// owns those flows. So every packet of a connection (and of every later
// connection on its 4-tuple) goes through the same worker, in capture order.
// Segments cross in batches, so a lock is taken once per thousand.
//
// The records come back to the caller's thread, which hands them to the
// sink while it reads on (and in finish()): the reading thread formats
// while the workers analyze. With one worker they are exactly what one
// Analyzer says, in the same order. With more, each is numbered by its
// connection's first packet (its place in the capture): ordered by that
// number and renumbered 1, 2, 3 ..., they are what one Analyzer says
// (report::PendingLine carries the order for the CLI).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "analyze/analyzer.hpp"

namespace teardown::analyze {

class ShardedAnalyzer {
public:
    // `limits.max_flows` is shared out among the workers; `sink` is called on the caller's thread.
    ShardedAnalyzer(AnalyzerLimits limits, unsigned workers, Analyzer::Sink sink);
    ~ShardedAnalyzer();
    ShardedAnalyzer(const ShardedAnalyzer&) = delete;
    ShardedAnalyzer& operator=(const ShardedAnalyzer&) = delete;

    unsigned workers() const { return static_cast<unsigned>(workers_.size()); }
    // Every frame of the capture in order, on the caller's thread.
    void on_frame(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len);
    void on_malformed() {
        ++packets_;
        ++malformed_;
    }
    // The capture is over: the workers analyze what they were handed, report
    // what they still track, and stop; every record has gone to the sink
    // when this returns.
    void finish();
    // The workers' counts added up (after finish()).
    AnalyzerCounts counts() const;

private:
    struct Keyed {
        FlowKey key;
        CapturedSegment segment;
    };
    using Batch = std::vector<Keyed>;
    // A cache line or more each: the reader and the workers write their own.
    struct alignas(64) Worker {
        std::unique_ptr<Analyzer> analyzer;
        std::mutex lock;
        std::condition_variable changed;
        std::vector<Batch> full;   // handed over, not yet analyzed
        std::vector<Batch> spare;  // analyzed, to be filled again
        std::vector<ConnectionRecord> reporting;           // the worker's, filling
        std::vector<std::vector<ConnectionRecord>> reported;  // for the caller's thread to take
        bool ended{false};      // the worker has reported all it will
        bool closing{false};
        bool abandoned{false};  // destroyed before finish(): stop without reporting
        std::thread thread;
    };
    void work(Worker& w);
    void report(Worker& w, ConnectionRecord&& r);
    void hand_over(unsigned i);
    // Hands what the workers reported to the sink; `all`: wait until every worker has ended.
    void take_reports(bool all);

    AnalyzerLimits limits_;
    Analyzer::Sink sink_;
    std::mutex reports_lock_;
    std::condition_variable reports_ready_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<Batch> filling_;  // per worker, on the caller's thread
    std::uint64_t packets_{0};
    std::uint64_t not_tcp_{0};
    std::uint64_t malformed_{0};
    bool finished_{false};
};

} // namespace teardown::analyze
