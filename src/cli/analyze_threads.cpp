#include "cli/analyze_threads.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "analyze/analyzer_shard.hpp"
#include "analyze/record_merge.hpp"
#include "cli/shared_frames.hpp"

namespace teardown::cli {

namespace {

using analyze::ReportKey;

// A shard writes its lines side by side into a block; a block is handed
// over whole, with the lines in it, and never written again.
using Block = std::shared_ptr<const std::string>;
struct BlockLine {
    Block block;
    std::uint32_t at{0};
    std::uint32_t length{0};
    report::PendingLine place;
    std::string_view text() const { return std::string_view{*block}.substr(at, length); }
};
using Keyed = std::pair<ReportKey, BlockLine>;

// What a shard hands the merging thread, under the lock.
struct Outbox {
    std::vector<Keyed> records;
    std::vector<std::uint64_t> starts;
    ReportKey reached{};
    Instant first_ts{Instant::never()};
    bool fresh{false};  // something came since the merge last looked
};

// A shard hands over at least this often: its records, and how far it has
// come, which lets the merge write the other shards' records.
constexpr std::uint64_t k_frames_per_handover = 8192;
constexpr std::size_t k_records_per_handover = 512;

} // namespace

ThreadedAnalysis analyze_in_threads(std::vector<capture::CaptureReader>& captures, const AnalyzeOptions& o,
                                    const analyze::AnalyzerLimits& limits, report::RecordFormat format, const NumberedLine& line) {
    const unsigned n = std::max(o.threads, 1u);
    // A stream (a pipe, gzip) is read by one thread for all the shards; a mapped file by each for itself.
    std::vector<std::unique_ptr<SharedFrames>> shared(captures.size());
    for (std::size_t k = 0; k < captures.size(); ++k)
        if (captures[k].streamed()) shared[k] = std::make_unique<SharedFrames>(n);
    std::mutex lock;
    std::condition_variable changed;
    std::vector<Outbox> outboxes(n);
    std::vector<report::Summary> summaries(n);
    std::vector<analyze::AnalyzerCounts> counts(n);
    std::vector<ReadEnd> ends(n, ReadEnd::done);
    std::atomic<bool> filter_said{false};  // a bad filter is said once, by whoever meets it first
    Instant last_ts{};

    const auto shard_thread = [&](unsigned i) {
        // The thread's own, handed over at the end: none shares a cache line with another thread's.
        std::vector<Keyed> mine;  // their block is `filling` until handed over
        auto filling = std::make_shared<std::string>();
        report::Summary summary;
        std::unique_ptr<analyze::AnalyzerShard> shard;
        Instant first = Instant::never();
        Instant latest{};
        const auto hand_over = [&](bool done) {
            const auto starts = shard->take_starts();
            if (!mine.empty()) {
                const std::size_t size = filling->size();
                const Block block = std::move(filling);
                for (auto& [key, l] : mine) l.block = block;
                filling = std::make_shared<std::string>();
                filling->reserve(size);  // as much as the last one took, most likely
            }
            // A shard stopped by a bad filter reaches no end of its own.
            const ReportKey reached = done ? ReportKey::end() : shard->reached();
            {
                std::lock_guard g{lock};
                Outbox& box = outboxes[i];
                box.records.insert(box.records.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
                box.starts.insert(box.starts.end(), starts.begin(), starts.end());
                box.reached = std::max(box.reached, reached);
                box.first_ts = first;
                box.fresh = true;
            }
            changed.notify_all();
            mine.clear();
        };
        shard = std::make_unique<analyze::AnalyzerShard>(limits, i, n, [&](ReportKey key, analyze::ConnectionRecord&& r) {
            if (!keep(r, o.only)) return;
            summary.add(r);
            const auto at = static_cast<std::uint32_t>(filling->size());
            const report::PendingLine place = report::append_pending(*filling, format, r);
            mine.push_back({key, {nullptr, at, static_cast<std::uint32_t>(filling->size() - at), place}});
            if (mine.size() >= k_records_per_handover) hand_over(false);  // finish() reports thousands at once
        });
        std::map<wire::LinkType, capture::PacketFilter> filters;
        std::uint64_t since = 0;
        // Inlined into the reader's loop (CaptureReader::feed_records), which
        // runs it for every frame: a call each cost about what reading did.
        const auto feed = [&](const capture::Frame& f) __attribute__((always_inline)) {
            if (first.is_never()) first = f.ts;
            latest = std::max(latest, f.ts);
            shard->on_frame(f.ts, f.link, f.data, f.orig_len);
            if (++since == k_frames_per_handover) {
                hand_over(false);
                since = 0;
            }
        };
        for (std::size_t k = 0; k < captures.size(); ++k) {
            ReadEnd end = ReadEnd::done;
            if (shared[k]) {
                end = shared[k]->take(i, feed);
            } else if (auto reader = captures[k].another(); reader) {
                // A reader of its own, over the same mapped bytes.
                end = read_frames(*reader, o.filter, filters, feed, i == 0, &filter_said);
            } else {
                if (i == 0) std::fprintf(stderr, "teardown analyze: %s\n", reader.error().message.c_str());
                end = ReadEnd::error;
            }
            if (end != ReadEnd::done) ends[i] = end;
            if (end == ReadEnd::bad_filter) break;
        }
        for (auto& s : shared)
            if (s) s->leave(i);  // read to its end, or never to be
        if (ends[i] != ReadEnd::bad_filter) shard->finish();
        hand_over(true);
        std::lock_guard g{lock};
        summaries[i] = std::move(summary);
        counts[i] = shard->analyzer().counts();
        if (i == 0) last_ts = latest;
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) threads.emplace_back(shard_thread, i);
    // The streams' reader, one after another, as far ahead of the shards as SharedFrames lets it.
    std::thread streams([&] {
        for (std::size_t k = 0; k < captures.size(); ++k)
            if (shared[k]) shared[k]->read(captures[k], o.filter, &filter_said);
    });

    // The merge, on this thread, as the shards hand over.
    analyze::RecordMerge<BlockLine> merge{n};
    ThreadedAnalysis out;
    for (bool all_done = false; !all_done;) {
        std::vector<Outbox> taken(n);
        {
            std::unique_lock g{lock};
            changed.wait(g, [&] { return std::any_of(outboxes.begin(), outboxes.end(), [](const Outbox& b) { return b.fresh; }); });
            all_done = true;
            for (unsigned i = 0; i < n; ++i) {
                std::swap(taken[i].records, outboxes[i].records);
                std::swap(taken[i].starts, outboxes[i].starts);
                taken[i].reached = outboxes[i].reached;
                outboxes[i].fresh = false;
                all_done = all_done && outboxes[i].reached == ReportKey::end();
            }
            out.first_ts = outboxes[0].first_ts;
        }
        for (unsigned i = 0; i < n; ++i) {
            merge.started(i, taken[i].starts);
            for (auto& [key, l] : taken[i].records) merge.add(i, key, std::move(l));
            merge.reached(i, taken[i].reached);
        }
        merge.emit_ready([&](std::uint64_t id, const BlockLine& l) { line(l.text(), l.place, id, out.first_ts); });
    }
    for (auto& t : threads) t.join();
    streams.join();
    for (unsigned i = 0; i < n; ++i) {
        out.summary.merge(summaries[i]);
        out.counts += counts[i];
        if (ends[i] == ReadEnd::bad_filter || (ends[i] == ReadEnd::error && out.end == ReadEnd::done)) out.end = ends[i];
    }
    out.last_ts = last_ts;
    return out;
}

} // namespace teardown::cli
