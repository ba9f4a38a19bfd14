#include "analyze/sharded_analyzer.hpp"

#include <algorithm>

namespace teardown::analyze {

namespace {

constexpr std::size_t k_batch = 4096;   // packets handed over at a time
constexpr std::size_t k_in_flight = 8;  // batches a shard may have waiting before the reader waits for it

} // namespace

ShardedAnalyzer::ShardedAnalyzer(AnalyzerLimits limits, unsigned shards, Analyzer::Sink sink)
    : limits_{limits}, sink_{std::move(sink)} {
    shards = std::max(shards, 1u);
    AnalyzerLimits each = limits;
    each.max_flows = std::max<std::size_t>(1, limits.max_flows / shards);
    pending_.resize(shards);
    for (unsigned i = 0; i < shards; ++i) {
        auto s = std::make_unique<Shard>();
        Shard* raw = s.get();
        s->analyzer = std::make_unique<Analyzer>(each, [raw](ConnectionRecord&& r) { raw->records.push_back(std::move(r)); });
        s->analyzer->number_by_first_packet();
        s->worker = std::thread{[raw] { work(*raw); }};
        shards_.push_back(std::move(s));
        pending_[i].reserve(k_batch);
    }
}

ShardedAnalyzer::~ShardedAnalyzer() {
    if (!finished_) {
        for (auto& s : shards_) {
            {
                std::lock_guard g{s->lock};
                s->closing = true;
            }
            s->ready.notify_all();
        }
        for (auto& s : shards_) s->worker.join();
    }
}

void ShardedAnalyzer::work(Shard& s) {
    for (;;) {
        std::vector<Keyed> batch;
        {
            std::unique_lock g{s.lock};
            s.ready.wait(g, [&] { return !s.batches.empty() || s.closing; });
            if (s.batches.empty()) return;
            batch = std::move(s.batches.front());
            s.batches.pop_front();
        }
        s.ready.notify_all();  // the reader may be waiting for room
        for (const auto& k : batch) s.analyzer->on_segment(k.key, k.segment);
    }
}

void ShardedAnalyzer::on_frame(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len) {
    Keyed k;
    if (!segment_of(ts, d, wire_len, limits_.checksums, k.key, k.segment)) {
        ++not_tcp_;
        ++packets_;
        return;
    }
    k.segment.index = packets_++;
    // The shard from the hash's upper half; each shard's table uses the lower.
    const std::size_t i = (k.key.hash() >> 32) % shards_.size();
    auto& batch = pending_[i];
    batch.push_back(k);
    if (batch.size() < k_batch) return;
    Shard& s = *shards_[i];
    {
        std::unique_lock g{s.lock};
        s.ready.wait(g, [&] { return s.batches.size() < k_in_flight; });
        s.batches.push_back(std::move(batch));
    }
    s.ready.notify_all();
    batch = {};
    batch.reserve(k_batch);
}

void ShardedAnalyzer::finish() {
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        Shard& s = *shards_[i];
        {
            std::lock_guard g{s.lock};
            if (!pending_[i].empty()) s.batches.push_back(std::move(pending_[i]));
            s.closing = true;
        }
        s.ready.notify_all();
    }
    for (auto& s : shards_) {
        s->worker.join();
        s->analyzer->finish();
    }
    finished_ = true;
    std::vector<ConnectionRecord> all;
    for (auto& s : shards_) {
        for (auto& r : s->records) all.push_back(std::move(r));
        s->records.clear();
    }
    // Each shard numbered its connections by their first packet: the order they began in.
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    std::uint64_t id = 1;
    for (auto& r : all) {
        r.id = id++;
        sink_(std::move(r));
    }
}

AnalyzerCounts ShardedAnalyzer::counts() const {
    AnalyzerCounts c;
    c.packets = packets_;
    c.malformed = malformed_;
    c.not_tcp = not_tcp_;
    for (const auto& s : shards_) {
        const auto& a = s->analyzer->counts();
        c.tcp_packets += a.tcp_packets;
        c.truncated += a.truncated;
        c.bad_checksums += a.bad_checksums;
        c.out_of_order += a.out_of_order;
        c.evicted_full += a.evicted_full;
        c.evicted_idle += a.evicted_idle;
        c.connections += a.connections;
    }
    return c;
}

} // namespace teardown::analyze
