#include "analyze/sharded_analyzer.hpp"

#include <algorithm>

namespace teardown::analyze {

namespace {

constexpr std::size_t k_batch = 1024;   // segments handed over at a time
constexpr std::size_t k_in_flight = 8;  // batches a worker may have waiting before the reader waits for it
constexpr std::size_t k_reports = 256;  // records handed back at a time

} // namespace

ShardedAnalyzer::ShardedAnalyzer(AnalyzerLimits limits, unsigned workers, Analyzer::Sink sink)
    : limits_{limits}, sink_{std::move(sink)} {
    workers = std::max(workers, 1u);
    AnalyzerLimits each = limits;
    each.max_flows = std::max<std::size_t>(1, limits.max_flows / workers);
    filling_.resize(workers);
    for (unsigned i = 0; i < workers; ++i) {
        auto w = std::make_unique<Worker>();
        Worker* raw = w.get();
        w->analyzer = std::make_unique<Analyzer>(each, [this, raw](ConnectionRecord&& r) { report(*raw, std::move(r)); });
        // Numbered by first packet, so that a merge can number them as one analyzer would.
        if (workers > 1) w->analyzer->number_by_first_packet();
        filling_[i].reserve(k_batch);
        w->thread = std::thread{[this, raw] { work(*raw); }};
        workers_.push_back(std::move(w));
    }
}

ShardedAnalyzer::~ShardedAnalyzer() {
    if (finished_) return;
    for (auto& w : workers_) {
        {
            std::lock_guard g{w->lock};
            w->closing = true;
            w->abandoned = true;
            w->full.clear();
        }
        w->changed.notify_all();
    }
    for (auto& w : workers_) w->thread.join();
}

void ShardedAnalyzer::work(Worker& w) {
    for (;;) {
        Batch batch;
        {
            std::unique_lock g{w.lock};
            w.changed.wait(g, [&] { return !w.full.empty() || w.closing; });
            if (w.full.empty()) break;
            batch = std::move(w.full.front());
            w.full.erase(w.full.begin());
        }
        w.changed.notify_all();  // the reader may be waiting for room
        for (const auto& k : batch) w.analyzer->on_segment(k.key, k.segment);
        batch.clear();
        std::lock_guard g{w.lock};
        w.spare.push_back(std::move(batch));
    }
    {
        std::lock_guard g{w.lock};
        if (w.abandoned) return;
    }
    w.analyzer->finish();
    {
        std::lock_guard g{reports_lock_};
        if (!w.reporting.empty()) w.reported.push_back(std::move(w.reporting));
        w.ended = true;
    }
    reports_ready_.notify_all();
}

void ShardedAnalyzer::report(Worker& w, ConnectionRecord&& r) {
    w.reporting.push_back(std::move(r));
    if (w.reporting.size() < k_reports) return;
    {
        std::lock_guard g{reports_lock_};
        w.reported.push_back(std::move(w.reporting));
    }
    w.reporting = {};
    w.reporting.reserve(k_reports);
    reports_ready_.notify_all();
}

void ShardedAnalyzer::take_reports(bool all) {
    for (;;) {
        std::vector<std::vector<ConnectionRecord>> taken;
        bool ended = true;
        {
            std::unique_lock g{reports_lock_};
            const auto ready = [&] {
                for (const auto& w : workers_)
                    if (!w->reported.empty()) return true;
                for (const auto& w : workers_)
                    if (!w->ended) return false;
                return true;
            };
            if (all) reports_ready_.wait(g, ready);
            // A worker at a time, each one's records in the order it reported them.
            for (auto& w : workers_) {
                for (auto& batch : w->reported) taken.push_back(std::move(batch));
                w->reported.clear();
                ended = ended && w->ended;
            }
        }
        for (auto& batch : taken)
            for (auto& r : batch) sink_(std::move(r));
        if (!all || ended) return;  // once all have ended, this round took the last
    }
}

void ShardedAnalyzer::on_frame(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len) {
    const std::uint64_t index = packets_++;
    Keyed k;
    if (!key_of(d, k.key, k.segment.from_lo)) {
        ++not_tcp_;
        return;
    }
    segment_of(ts, d, wire_len, limits_.checksums, k.segment);
    k.segment.index = index;
    // The worker from the hash's upper half; each worker's table uses the lower.
    const auto i = static_cast<unsigned>((k.key.hash() >> 32) % workers_.size());
    filling_[i].push_back(k);
    if (filling_[i].size() == k_batch) hand_over(i);
}

void ShardedAnalyzer::hand_over(unsigned i) {
    Worker& w = *workers_[i];
    {
        std::unique_lock g{w.lock};
        w.changed.wait(g, [&] { return w.full.size() < k_in_flight; });
        w.full.push_back(std::move(filling_[i]));
        if (!w.spare.empty()) {
            filling_[i] = std::move(w.spare.back());
            w.spare.pop_back();
        } else {
            filling_[i] = {};
        }
    }
    w.changed.notify_all();
    filling_[i].reserve(k_batch);
    take_reports(false);  // format what came back while the workers go on
}

void ShardedAnalyzer::finish() {
    for (unsigned i = 0; i < workers_.size(); ++i) {
        Worker& w = *workers_[i];
        {
            std::lock_guard g{w.lock};
            if (!filling_[i].empty()) w.full.push_back(std::move(filling_[i]));
            w.closing = true;
        }
        w.changed.notify_all();
    }
    take_reports(true);
    for (auto& w : workers_) w->thread.join();
    finished_ = true;
}

AnalyzerCounts ShardedAnalyzer::counts() const {
    AnalyzerCounts c;
    c.packets = packets_;
    c.not_tcp = not_tcp_;
    c.malformed = malformed_;
    for (const auto& w : workers_) {
        const auto& a = w->analyzer->counts();
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
