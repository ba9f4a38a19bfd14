#pragma once
// One connection seen from the wire, Zeek style: a tracker per direction
// (its ISN, how far its sequence space reached, its FIN and RST, what of the
// peer it acknowledged, its window, its retransmissions), and from the two
// at the end the VOCABULARY.md record: ending, closer, pattern, reset_by,
// anomalies and close timings.
#include <cstdint>
#include <optional>

#include "analyze/connection_record.hpp"
#include "analyze/zeek_conn.hpp"
#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

// What the analyzer takes of a packet.
struct TcpPacket {
    Instant ts{};
    wire::Endpoint src;
    wire::Endpoint dst;
    wire::TcpFlags flags;
    SeqNum seq;
    SeqNum ack;
    std::uint16_t window{0};
    std::optional<std::uint8_t> window_scale;  // on a SYN
    std::uint32_t payload_len{0};              // as the headers say, even if the snapshot cut it
    std::uint32_t ip_len{0};
    bool bad_checksum{false};
    bool truncated{false};                     // the snapshot length cut the payload
    std::uint64_t index{0};                    // its place in the capture, from 0
};

class ConnectionTracker {
public:
    // `first` is the connection's first packet; it decides who the client is
    // (the SYN's sender; the SYN-ACK's receiver; else the lower port is the server).
    explicit ConnectionTracker(const TcpPacket& first);

    void on_packet(const TcpPacket& p);
    // Whether both directions are done (both FINs acknowledged, or a RST accepted).
    bool finished() const;
    // Whether `p` (a SYN without ACK) starts a new connection on this 4-tuple.
    bool is_new_syn(const TcpPacket& p) const;
    Instant last_seen() const { return last_; }
    Instant start() const { return start_; }

    ConnectionRecord record() const;

private:
    struct Direction {
        std::optional<SeqNum> isn;
        std::uint32_t syns{0};
        std::optional<SeqNum> next;         // past the highest byte (and SYN/FIN) sent
        std::optional<SeqNum> fin_seq;      // where its first FIN sits
        MaybeInstant fin_at;
        std::optional<SeqNum> highest_ack;  // the furthest it acknowledged of the peer
        MaybeInstant acked_peer_fin_at;
        std::uint16_t window{0};
        std::uint8_t wscale{0};
        bool wscale_offered{false};
        bool data_unanswered{false};  // its latest new data came after the peer's latest
        std::uint32_t retransmissions_at_end{0};  // retransmissions since it last heard the peer
        DirectionCounts counts;
    };
    Direction& dir(Side s) { return s == Side::client ? client_ : server_; }
    const Direction& dir(Side s) const { return s == Side::client ? client_ : server_; }
    Side side_of(const TcpPacket& p) const { return p.src == client_ep_ ? Side::client : Side::server; }
    void on_rst(Side from, const TcpPacket& p);
    void judge(ConnectionRecord& r) const;

    wire::Endpoint client_ep_;
    wire::Endpoint server_ep_;
    bool inferred_{false};
    Instant start_{};
    Instant last_{};
    std::uint64_t first_index_{0};
    Direction client_;
    Direction server_;
    ZeekConn zeek_;
    AnomalySet anomalies_;
    bool syn_ack_seen_{false};
    bool established_{false};
    std::optional<Side> first_closer_;    // the first FIN or accepted RST
    std::optional<Side> first_fin_side_;
    std::optional<Side> reset_from_;
    std::optional<ResetPhase> reset_phase_;
    bool gave_up_{false};
    std::uint8_t completeness_{0};  // the RST's sender had been retransmitting unanswered
    bool crossing_{false};
    bool three_way_{false};
    MaybeInstant both_acked_at_;
    MaybeInstant second_fin_at_;
    std::optional<Side> challenge_from_;  // the side whose next segment may be a challenge ACK
};

} // namespace teardown::analyze
