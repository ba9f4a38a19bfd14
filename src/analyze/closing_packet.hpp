#pragma once
// The seed's "identifying the packets" (§3): a closing packet carries FIN,
// FIN+ACK or RST, and the ACKs that acknowledge a FIN complete the 4-way
// close. ClosingTracker names each such packet's role in one connection's
// close from its flags and sequence numbers alone; ClosingClassifier keeps one
// tracker per connection of a packet stream and decides who is the client.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/seq_num.hpp"
#include "core/vocabulary.hpp"
#include "wire/ip_address.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

enum class ClosingKind : std::uint8_t {
    not_closing,
    fin_starts_close,     // step 1: the first FIN, "I have finished sending"
    ack_of_fin,           // step 2: the first ACK of a FIN; the peer may still send
    fin_closes_too,       // step 3: the second FIN, sent after the first was ACKed
    fin_three_way,        // steps 2 and 3 in one segment: the FIN rides on the ACK
    fin_simultaneous,     // a FIN sent before the peer's FIN was ACKed: both close at once
    fin_retransmitted,    // a FIN again at the same sequence number: its ACK was lost or late
    last_ack,             // step 4: the ACK that leaves both FINs acknowledged
    ack_of_fin_repeated,  // a FIN already ACKed is ACKed again (TIME_WAIT answering a retransmitted FIN)
    rst_refused,          // RST answering a SYN: nobody listens on that port
    rst_abort,            // RST in an open connection: abortive close
    rst_after_fin,        // RST once a FIN was sent: the close turned abortive
};

struct ClosingLabel {
    ClosingKind kind{ClosingKind::not_closing};
    Side from{Side::client};
    bool is_closing() const { return kind != ClosingKind::not_closing; }
    // The seed's words, e.g. "FIN from client: starts close".
    std::string text() const;
};

std::string_view to_string(ClosingKind k);

// One connection's close, seen from the wire. Feed every TCP segment in
// capture order with the side that sent it.
class ClosingTracker {
public:
    ClosingLabel on_segment(Side from, wire::TcpFlags flags, SeqNum seq, SeqNum ack,
                            std::uint32_t payload_len);
    // A new SYN after the connection closed starts a new incarnation.
    bool finished() const;

private:
    struct Direction {
        bool syn_seen{false};
        bool syn_ack_seen{false};
        bool fin_seen{false};
        SeqNum fin_seq;               // sequence number the FIN occupies
        bool fin_acked{false};        // the other side has ACKed it
        bool fin_retransmit_pending{false};  // retransmitted since the other side last ACKed it
        bool rst_seen{false};
    };
    Direction& dir(Side s) { return dirs_[static_cast<int>(s)]; }
    bool acks_fin_of(Side peer, wire::TcpFlags flags, SeqNum ack) const;

    Direction dirs_[2];
};

// Many connections of one packet stream, keyed by their unordered endpoint
// pair. Memory stays bounded on long captures: a finished connection is
// forgotten once it has been quiet for `linger` (long enough to still name a
// FIN retransmitted into TIME_WAIT), any other once quiet for `idle`.
class ClosingClassifier {
public:
    struct Limits {
        Duration linger{Duration::seconds(240)};  // 2 x MSL of RFC 9293's 2 minutes
        Duration idle{Duration::seconds(3600)};
    };
    ClosingClassifier() = default;
    explicit ClosingClassifier(Limits limits) : limits_{limits} {}

    // `at` is the packet's time; packets are expected in time order.
    ClosingLabel on_segment(const wire::Endpoint& src, const wire::Endpoint& dst, wire::TcpFlags flags, SeqNum seq,
                            SeqNum ack, std::uint32_t payload_len, Instant at = {});
    std::size_t connections() const { return flows_.size(); }
    std::uint64_t forgotten() const { return forgotten_; }

private:
    struct Flow {
        wire::Endpoint client;
        ClosingTracker tracker;
        Instant last_seen;
    };
    void forget_quiet_flows(Instant now);

    Limits limits_{};
    std::unordered_map<wire::FourTuple, Flow> flows_;
    Instant next_sweep_{};
    std::uint64_t forgotten_{0};
};

} // namespace teardown::analyze
