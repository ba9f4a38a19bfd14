#pragma once
// The flow table: packets in capture order in, one ConnectionRecord out for
// every connection when it is over. A connection is over when it finished
// (both FINs acknowledged, or a RST accepted) and has lingered 2 MSL for
// late retransmissions, when it has been idle too long, when a new SYN
// reuses its 4-tuple, or when the table is full and it is the oldest; at
// the end of the capture the rest are reported as they stand. Memory is
// bounded by `max_flows` however many 4-tuples a capture holds.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "analyze/connection_tracker.hpp"
#include "analyze/flow_key.hpp"
#include "analyze/quick_frame.hpp"
#include "core/chunked_slab.hpp"
#include "wire/link_type.hpp"
#include "wire/tuple_index.hpp"
#include "wire/packet.hpp"

namespace teardown::analyze {

struct AnalyzerLimits {
    Duration linger{Duration::seconds(240)};  // a finished connection's 2 MSL (RFC 9293's MSL)
    Duration idle{Duration::seconds(3600)};   // an unfinished one's silence before it is reported
    std::size_t max_flows{1'000'000};
    // Verify TCP checksums (Zeek's 'C' in the history). Off by default: a
    // capture on the sending host is full of bad ones the NIC fixes later.
    bool checksums{false};
};

struct AnalyzerCounts {
    std::uint64_t packets{0};
    std::uint64_t tcp_packets{0};
    std::uint64_t not_tcp{0};        // other protocols, and IPv4 fragments after the first
    std::uint64_t malformed{0};      // frames the decoder refused
    std::uint64_t truncated{0};      // TCP segments the snapshot length cut
    std::uint64_t bad_checksums{0};  // counted, not an anomaly: offload leaves them
    std::uint64_t out_of_order{0};   // timestamps earlier than the one before
    std::uint64_t evicted_full{0};   // reported early because the table was full
    std::uint64_t evicted_idle{0};
    std::uint64_t connections{0};
    std::uint64_t peak_tracked{0};      // connections tracked at once, at most
    std::uint64_t peak_table_bytes{0};  // table_bytes() then
    // Another analyzer's counts added (the shards of one capture).
    AnalyzerCounts& operator+=(const AnalyzerCounts& o);
};

// What the analyzer takes of a decoded frame: its flow key (false when it
// is not TCP), then, for a TCP one, its segment (all but `index` and `from_lo`).
bool key_of(const wire::DecodedPacket& d, FlowKey& key, bool& from_lo);
void segment_of(Instant ts, const wire::DecodedPacket& d, bool checksums, CapturedSegment& s);

class Analyzer {
public:
    using Sink = std::function<void(ConnectionRecord&&)>;
    Analyzer(AnalyzerLimits limits, Sink sink) : limits_{limits}, sink_{std::move(sink)} {}

    // Every frame of the capture comes through one of these, in capture
    // order: each one's time moves the analyzer's clock (which finishes
    // lingering and idle connections), and its place in the capture numbers
    // the segments.
    // A captured frame, `ts` its capture time: read the quick way when it
    // is plain Ethernet/IPv4/TCP (quick_segment), else decoded.
    void on_captured(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len);
    // The quick way alone: false (and nothing counted) for a frame it does
    // not take, which the caller decodes. Read straight into the queue, so
    // no key and segment are copied there.
    bool on_quick_segment(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len) {
        if (limits_.checksums) return false;
        Waiting& next = next_place();
        if (!quick_segment(ts, link, frame, orig_len, next.key, next.segment)) return false;
        arrived(next, next.key.hash());
        return true;
    }
    // A decoded frame.
    void on_frame(Instant ts, const wire::DecodedPacket& p);
    void on_malformed(Instant ts) {
        ++counts_.packets;
        ++counts_.malformed;
        tick(ts);
    }
    void on_not_tcp(Instant ts) {
        ++counts_.packets;
        ++counts_.not_tcp;
        tick(ts);
    }
    // A frame that another analyzer analyzes (one shard of several, see
    // AnalyzerShard): only its time and its place count here.
    void on_elsewhere(Instant ts) { tick(ts); }
    // No frame came before `now`: a live capture's clock, which moves on
    // while the interface is quiet, so that connections over by then are
    // reported then rather than when the next frame comes (on a quiet
    // interface, perhaps never). The frames waiting are analyzed first.
    // Not a frame: nothing is counted, and `now` earlier than the clock is
    // not out of order, only no news.
    void on_quiet(Instant now);
    // A segment of the flow `key`: what the others come down to; its place
    // in the capture (`index`) is the count of frames before it. It waits in a
    // short queue while its flow's index bucket is fetched from
    // memory (a table of a million flows is far larger than the caches), and
    // is analyzed a few frames later, in order; finish() analyzes the rest.
    void on_segment(const FlowKey& key, const CapturedSegment& s) { on_segment(key, s, key.hash()); }
    // The same, with the key's hash, when the caller has it already.
    void on_segment(const FlowKey& key, const CapturedSegment& s, std::uint64_t hash);
    // A packet given by its endpoints (tests, the lab's transmissions),
    // analyzed before this returns.
    void on_packet(const TcpPacket& p);
    // The capture is over: every connection still tracked is reported, oldest first.
    void finish();

    // When the record being handed to the sink was reported, as a number
    // that orders all reports: the frame whose arrival reported it (times
    // four), and why (0 the clock finished it, 1 a new SYN on its 4-tuple,
    // 2 the table was full; finish(): the largest number). Reports come in
    // this order, and within one moment by id.
    std::uint64_t report_moment() const { return moment_; }
    static constexpr std::uint64_t k_end_moment = ~std::uint64_t{0};
    // No report to come has an earlier moment than this.
    std::uint64_t next_moment() const;

    const AnalyzerCounts& counts() const { return counts_; }
    std::size_t tracked() const { return index_.size(); }
    // What the flow table holds now, in bytes: trackers, index, IPv6
    // addresses and the ends remembered for tuple reuse.
    std::size_t table_bytes() const;

    // Number connections by their first packet's place in the capture
    // instead of 1, 2, 3... (the shards, whose records are renumbered when
    // merged), and keep those numbers for take_starts().
    void number_by_first_packet() { ids_are_packets_ = true; }
    // The connections begun since the last call, by their first packet's place, in order.
    std::vector<std::uint64_t> take_starts() { return std::exchange(starts_, {}); }

private:
    struct Waiting {
        FlowKey key;
        CapturedSegment segment;  // a frame that is not a segment here has only its ts and index
        std::uint32_t hash;
        bool segment_here;
        bool late;    // earlier than a frame before it
        bool sweeps;  // its time brings the next sweep
    };
    static constexpr unsigned k_lookahead = 16;  // frames waiting; a power of two
    // The next frame's place in the queue, made free (the oldest analyzed
    // when it is full) for the caller to fill; count() then takes it.
    Waiting& next_place();
    void count(Waiting& next);
    void arrived(Waiting& next, std::uint64_t hash);  // a segment filled in at next_place()
    struct Clocked {
        bool late;
        bool sweeps;
    };
    Clocked clock(Instant ts) {
        // The clock is the latest time of any frame so far, so what it does
        // depends on the frames' times alone and is known as each arrives:
        // whether a frame is earlier than one before it, and whether its time
        // brings the next sweep (every ten seconds).
        if (ts < now_) return {true, false};
        now_ = ts;
        if (ts < next_sweep_) return {false, false};
        next_sweep_ = ts + Duration::seconds(10);
        return {false, true};
    }
    // A frame that is not a segment here: only its time and its place.
    // Inline, as is clock(): a shard's peers' frames, half or more of the
    // capture, come here, and only one whose time brings a sweep needs a
    // place in the queue (queue_sweep()).
    void tick(Instant ts) {
        const Clocked c = clock(ts);
        if (c.sweeps) return queue_sweep(ts, c);
        ++frames_;
        // Still, no segment waits longer than it would behind every frame
        // in the queue: a shard's next_moment() keeps up with the capture,
        // so the merge of the shards' records holds few at a time.
        if (waiting_count_ > 0 && frames_ - waiting_[waiting_head_].segment.index > k_lookahead) track_oldest();
    }
    void queue_sweep(Instant ts, Clocked c);
    void stamp(Waiting& w);     // the same for a segment, noted in its place
    void advance(const Waiting& w);  // the clock, then the segment
    void track(const Waiting& w);
    void track_oldest();  // the frame longest in the queue
    void drain();
    std::array<Waiting, k_lookahead> waiting_{};
    unsigned waiting_head_{0};
    unsigned waiting_count_{0};

    // The trackers live in a slab found through an open-addressing index
    // (8 bytes a bucket, filled to 80%), as the engine's connections do: no
    // node to chase; IPv6 flows keep their addresses in a side table.
    bool is(const ConnectionTracker& t, const FlowKey& key) const { return is(t.key(), t.v6(), key); }
    bool is(const StoredKey& s, bool v6, const FlowKey& key) const;
    std::uint32_t find(const FlowKey& key, std::uint32_t h) const {
        return index_.find_hashed(h, [&](std::uint32_t id) { return is(flows_[id], key); });
    }
    std::uint32_t add(const CapturedSegment& first, const FlowKey& key, std::uint32_t h);
    StoredKey store(const FlowKey& key);
    void release(const StoredKey& key, bool v6);
    FlowKey full_key(const StoredKey& k, bool v6) const;
    std::uint32_t hash_of(const StoredKey& k, bool v6) const;
    // `remember`: keep its end for tuple_reused_within_2msl (not at finish(): nothing follows).
    void report_and_remove(std::uint32_t slot, bool remember = true);
    void sweep(Instant now);
    void evict_oldest();
    // Reports the (id, slot) pairs by id, at moment_.
    void report_all(std::vector<std::pair<std::uint64_t, std::uint32_t>>& by_id, bool remember);
    void note_peak();

    AnalyzerLimits limits_;
    Sink sink_;
    wire::DecodedPacket decoded_;  // on_captured's, reused
    ChunkedSlab<ConnectionTracker> flows_;
    wire::TupleIndex index_{80};
    // The side tables grow in smaller chunks: most captures need few of their entries.
    ChunkedSlab<std::array<std::uint8_t, 32>, 8> v6_pairs_;  // lower then higher address
    // When each 4-tuple's last connection ended, for tuple_reused_within_2msl:
    // a slab behind an index of its own, forgotten after 2 MSL. An IPv6
    // entry keeps the side-table slot its connection had.
    struct Ended {
        StoredKey key;
        bool v6{false};
        bool live{false};
        Instant at;
    };
    void remember_end(const StoredKey& key, bool v6, Instant at);
    ChunkedSlab<Ended, 8> ended_;
    wire::TupleIndex ended_index_{80};
    // For each chunk of the slabs, the earliest one of its entries can be
    // over (a lower bound: a connection's last packet only moves later), so
    // that a sweep reads only the chunks where one may be, not the whole
    // table every ten seconds of a long capture.
    std::vector<Instant> flows_due_;
    std::vector<Instant> ended_due_;
    static void due_at(std::vector<Instant>& due, std::size_t chunk, Instant at);
    Duration soonest_over() const { return std::min(limits_.linger, limits_.idle); }
    AnalyzerCounts counts_;
    Instant now_{};
    Instant next_sweep_{};
    std::uint64_t next_id_{1};
    std::uint64_t frames_{0};
    std::uint64_t moment_{0};
    bool ids_are_packets_{false};
    std::vector<std::uint64_t> starts_;
};

} // namespace teardown::analyze
