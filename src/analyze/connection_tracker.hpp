#pragma once
// One connection seen from the wire, Zeek style: a tracker per direction
// (where its SYN and FIN sit, how far its sequence space reached, what of
// the peer it acknowledged, its window, its retransmissions), and from the
// two at the end the VOCABULARY.md record: ending, closer, pattern,
// reset_by, anomalies and close timings.
//
// The analyzer keeps one per tracked connection, by the million, so the
// state is packed: 184 bytes with its flow key and Zeek's per-end state
// (sizes in the notes by each field; connection_tracker.cpp checks them).
#include <cstdint>
#include <cstring>
#include <optional>

#include "analyze/connection_record.hpp"
#include "analyze/flow_key.hpp"
#include "analyze/history_letters.hpp"
#include "analyze/zeek_conn.hpp"
#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

// What the analyzer takes of a packet, as a caller hands it in.
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
    std::uint32_t ip_len{0};                   // the IP datagram's length, as its header says
    bool bad_checksum{false};
    bool truncated{false};                     // the snapshot length cut the payload
    std::uint64_t index{0};                    // its place in the capture, from 0
};

// The same without its addresses, which the flow key holds: what the tracker reads.
struct CapturedSegment {
    static constexpr std::uint8_t k_no_scale = 0xFF;
    Instant ts{};
    std::uint64_t index{0};
    SeqNum seq;
    SeqNum ack;
    std::uint32_t payload_len{0};
    std::uint32_t ip_len{0};                   // the IP datagram's length, as its header says
    std::uint16_t window{0};
    std::uint16_t src_port{0};
    std::uint16_t dst_port{0};
    wire::TcpFlags flags;
    std::uint8_t window_scale{k_no_scale};  // the shift a SYN offers (RFC 7323 §2.2)
    bool from_lo{false};                    // sent by the flow key's lower endpoint
    bool bad_checksum{false};
    bool truncated{false};
};

class ConnectionTracker {
public:
    ConnectionTracker() = default;
    // `first` is the connection's first packet; it decides who the client is
    // (the SYN's sender; the SYN-ACK's receiver; else the lower port is the
    // server). `id` numbers the connection (the analyzer's order of first packets).
    ConnectionTracker(const CapturedSegment& first, StoredKey key, bool v6, std::uint64_t id);

    void on_segment(const CapturedSegment& s);
    // Whether both directions are done (both FINs acknowledged, or a RST accepted).
    bool finished() const { return bits_.reset_from != 0 || times_.has(k_both_acked); }
    // Whether `s` (a SYN without ACK) starts a new connection on this 4-tuple.
    bool is_new_syn(const CapturedSegment& s) const;
    Instant last_seen() const { return times_.get(start_, k_last); }
    Instant start() const { return start_; }
    std::uint64_t id() const { return bits_.id; }
    const StoredKey& key() const { return key_; }
    bool v6() const { return bits_.v6 != 0; }
    bool live() const { return bits_.live != 0; }
    void retire() { bits_.live = 0; }

    // The record, with the key's endpoints (which the analyzer resolves for IPv6).
    ConnectionRecord record(const wire::Endpoint& lo, const wire::Endpoint& hi) const;

private:
    // A direction's counters in 24 bytes: payload and IP bytes to 2^48,
    // packets to 2^40, retransmissions to 2^24, FINs and RSTs to 2^16; each
    // stops at its top rather than wrap.
    class Tally {
    public:
        std::uint64_t bytes() const { return get(0, 0, 48); }
        std::uint64_t ip_bytes() const { return get(1, 0, 48); }
        std::uint64_t packets() const { return get(2, 0, 40); }
        std::uint32_t rsts() const { return static_cast<std::uint32_t>(get(0, 48, 16)); }
        std::uint32_t fins() const { return static_cast<std::uint32_t>(get(1, 48, 16)); }
        std::uint32_t retransmissions() const { return static_cast<std::uint32_t>(get(2, 40, 24)); }
        void add_bytes(std::uint64_t n) { add(0, 0, 48, n); }
        void add_ip_bytes(std::uint64_t n) { add(1, 0, 48, n); }
        void add_packet() { add(2, 0, 40, 1); }
        void add_rst() { add(0, 48, 16, 1); }
        void add_fin() { add(1, 48, 16, 1); }
        void add_retransmission() { add(2, 40, 24, 1); }
        DirectionCounts counts() const;

    private:
        // Words at 4-byte alignment (the tracker is packed), read and written whole.
        std::uint64_t word(int i) const {
            std::uint64_t w;
            std::memcpy(&w, &w_[2 * i], sizeof w);
            return w;
        }
        void set_word(int i, std::uint64_t w) { std::memcpy(&w_[2 * i], &w, sizeof w); }
        std::uint64_t get(int i, int shift, int width) const { return word(i) >> shift & ((std::uint64_t{1} << width) - 1); }
        void add(int i, int shift, int width, std::uint64_t n);
        std::uint32_t w_[6]{};
    };

    struct Direction {  // 60 bytes
        SeqNum syn_seq;      // its latest SYN (without FIN or RST): Zeek's last SYN as well
        SeqNum next;         // past the highest byte (and SYN/FIN) sent
        SeqNum fin_seq;      // where its first FIN sits
        SeqNum highest_ack;  // the furthest it acknowledged of the peer
        Tally tally;
        ZeekEnd zeek;
        std::uint16_t window{0};
        std::uint16_t has_syn : 1 {0}, has_next : 1 {0}, has_fin : 1 {0}, has_ack : 1 {0};
        std::uint16_t wscale : 4 {0};
        std::uint16_t wscale_offered : 1 {0};
        std::uint16_t data_unanswered : 1 {0};  // its latest new data came after the peer's latest
        std::uint16_t acked_peer_fin : 1 {0};
        std::uint16_t sent_syn : 1 {0};         // any SYN, even with other flags
        std::uint16_t sent_other : 1 {0};       // any segment that is not a SYN
        // Retransmissions and probes since it last heard the peer (0, 1, 2,
        // ... 7 and more): only "none", "one" and "two or more" matter.
        std::uint16_t retransmissions_at_end : 3 {0};
    };

    // The times after the first, 6 bytes each: nanoseconds since start_
    // for the first 39 hours, microseconds beyond (so a day-long
    // connection's close times keep the microseconds every output shows).
    static constexpr int k_last = 0, k_first_fin = 1, k_second_fin = 2, k_both_acked = 3;
    class Times {
    public:
        bool has(int i) const { return raw(i) != k_none; }
        Instant get(Instant start, int i) const;
        MaybeInstant maybe(Instant start, int i) const { return has(i) ? MaybeInstant{get(start, i)} : MaybeInstant{}; }
        void set(Instant start, int i, Instant t);
        void clear() {
            for (auto& h : h_) h = 0xFFFF;
        }

    private:
        static constexpr std::uint64_t k_none = (std::uint64_t{1} << 48) - 1;
        static constexpr std::uint64_t k_micros = std::uint64_t{1} << 47;
        std::uint64_t raw(int i) const {
            // The low 48 bits, as set() keeps them, read as a word and a half
            // into registers: a 6-byte copy into a zeroed word is stored to the
            // stack in parts and read back whole, which stalls the CPU's store
            // forwarding on every packet (perf: a sixth of the tracker's samples).
            std::uint32_t low;
            std::uint16_t high;
            std::memcpy(&low, &h_[3 * i], 4);
            std::memcpy(&high, &h_[3 * i + 2], 2);
            return std::uint64_t{high} << 32 | low;
        }
        std::uint16_t h_[12]{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF};
    };

    // The id and every yes/no and small choice of the connection, in one word.
    // A side in two bits: 0 none, 1 client, 2 server; a reset phase: 0 none, else the phase + 1.
    struct Bits {
        std::uint64_t id : 38 {0};
        std::uint64_t live : 1 {0};
        std::uint64_t v6 : 1 {0};
        std::uint64_t client_is_lo : 1 {0};
        std::uint64_t inferred : 1 {0};
        std::uint64_t syn_ack_seen : 1 {0};
        std::uint64_t established : 1 {0};
        std::uint64_t gave_up : 1 {0};  // the RST's sender had been retransmitting unanswered
        std::uint64_t crossing : 1 {0};
        std::uint64_t three_way : 1 {0};
        std::uint64_t first_closer : 2 {0};    // the first FIN or accepted RST
        std::uint64_t first_fin_side : 2 {0};
        std::uint64_t reset_from : 2 {0};
        std::uint64_t reset_phase : 3 {0};
        std::uint64_t challenge_from : 2 {0};  // the side whose next segment may be a challenge ACK
        std::uint64_t completeness : 6 {0};    // Wireshark's tcp.completeness
    };
    static std::uint64_t side_bits(Side s) { return s == Side::client ? 1 : 2; }
    static std::optional<Side> side_of_bits(std::uint64_t b) {
        return b == 0 ? std::nullopt : std::optional<Side>{b == 1 ? Side::client : Side::server};
    }

    Direction& dir(Side s) { return s == Side::client ? client_ : server_; }
    const Direction& dir(Side s) const { return s == Side::client ? client_ : server_; }
    Side side_of(const CapturedSegment& s) const { return s.from_lo == (bits_.client_is_lo != 0) ? Side::client : Side::server; }
    void on_rst(Side from, const CapturedSegment& s);
    void judge(ConnectionRecord& r) const;

    // What a lookup reads (bits_ for v6, the key; the last time for a new
    // SYN) first, together: in one or two cache lines, not three.
    Bits bits_;
    Instant start_{};
    StoredKey key_;
    AnomalySet anomalies_;
    Times times_;
    HistoryLetters history_;
    Direction client_;
    Direction server_;
};

} // namespace teardown::analyze
