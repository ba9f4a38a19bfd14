#pragma once
// The flow table: packets in capture order in, one ConnectionRecord out for
// every connection when it is over. A connection is over when it finished
// (both FINs acknowledged, or a RST accepted) and has lingered 2 MSL for
// late retransmissions, when it has been idle too long, when a new SYN
// reuses its 4-tuple, or when the table is full and it is the oldest; at
// the end of the capture the rest are reported as they stand. Memory is
// bounded by `max_flows` however many 4-tuples a capture holds.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "analyze/connection_tracker.hpp"
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
};

// What the analyzer takes of a decoded frame; nothing when it is not TCP.
std::optional<TcpPacket> tcp_packet_of(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len, bool checksums);

// One key for both directions of a connection: the smaller endpoint first.
wire::FourTuple connection_key(const TcpPacket& p);

class Analyzer {
public:
    using Sink = std::function<void(ConnectionRecord&&)>;
    Analyzer(AnalyzerLimits limits, Sink sink) : limits_{limits}, sink_{std::move(sink)} {}

    // A decoded frame; `ts` its capture time.
    void on_frame(Instant ts, const wire::DecodedPacket& p, std::uint32_t wire_len);
    void on_malformed() {
        ++counts_.packets;
        ++counts_.malformed;
    }
    void on_not_tcp() {
        ++counts_.packets;
        ++counts_.not_tcp;
    }
    void on_packet(const TcpPacket& p);
    // The capture is over: every connection still tracked is reported, oldest first.
    void finish();

    const AnalyzerCounts& counts() const { return counts_; }

    std::size_t tracked() const { return index_.size(); }

private:
    struct Flow {
        ConnectionTracker tracker;
        std::uint64_t id;
        wire::FourTuple key;
        bool live;
    };
    // The flows live in a slab found through an open-addressing index (8
    // bytes a bucket), as the engine's connections do: no node to chase.
    struct KeyOf {
        const Analyzer* a;
        wire::FourTuple operator()(std::uint32_t id) const { return a->flows_[id].key; }
    };
    std::uint32_t find(const wire::FourTuple& key) const { return index_.find(key, KeyOf{this}); }
    std::uint32_t add(const TcpPacket& first, const wire::FourTuple& key);
    void report_and_remove(std::uint32_t slot);
    void sweep(Instant now);
    void evict_oldest();

    AnalyzerLimits limits_;
    Sink sink_;
    std::vector<Flow> flows_;
    std::vector<std::uint32_t> free_;
    wire::TupleIndex index_;
    // When each 4-tuple's last connection ended, for tuple_reused_within_2msl:
    // a slab behind an index of its own, forgotten after 2 MSL.
    struct Ended {
        wire::FourTuple key;
        Instant at;
        bool live;
    };
    struct EndedKeyOf {
        const Analyzer* a;
        wire::FourTuple operator()(std::uint32_t id) const { return a->ended_[id].key; }
    };
    void remember_end(const wire::FourTuple& key, Instant at);
    std::vector<Ended> ended_;
    std::vector<std::uint32_t> ended_free_;
    wire::TupleIndex ended_index_;
    AnalyzerCounts counts_;
    Instant now_{};
    Instant next_sweep_{};
    std::uint64_t next_id_{1};
};

} // namespace teardown::analyze
