#pragma once
// A hand-scripted TCP conversation: the segments two endpoints exchange,
// written step by step ("client sends FIN", "server's ACK is lost") rather
// than produced by engines. Each side keeps its own SND.NXT and RCV.NXT so
// sequence and acknowledgment numbers come out right, including for lost,
// crossing and retransmitted segments. The demo and the tests use it to make
// captures of the seed's situations with exact, known contents.
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "core/vocabulary.hpp"
#include "wire/ip_address.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::sim {

// One segment as it crossed the capture point.
struct WireSegment {
    Instant at;
    Side from{Side::client};
    wire::IpAddress src;
    wire::IpAddress dst;
    wire::TcpRepr tcp;
    std::vector<std::byte> payload;
    bool lost{false};  // the peer never received it (it was lost after the capture point)
};

class Conversation {
public:
    struct Options {
        wire::Endpoint client;
        wire::Endpoint server;
        std::uint32_t client_isn{1000};
        std::uint32_t server_isn{5000};
        Instant start{};
        Duration step{Duration::millis(1)};  // clock advance before each segment
        std::uint16_t window{64240};
        bool syn_options{true};   // MSS, SACK-permitted and window scale on SYNs
        bool timestamps{false};   // RFC 7323 TS on every segment, val in milliseconds
    };

    explicit Conversation(Options options);

    // Advance the clock by d on top of the per-segment step.
    Conversation& after(Duration d);
    // The next segment is lost after the capture point: the peer never receives it.
    Conversation& lose_next();
    // The next segment is in flight until deliver(): the peer sends before receiving it.
    Conversation& hold_next();
    Conversation& deliver();

    Conversation& syn(Side from);          // SYN (client) or SYN+ACK (server, when it got a SYN)
    Conversation& open();                  // SYN, SYN+ACK, ACK
    Conversation& send(Side from, std::uint32_t bytes);  // PSH+ACK with that many bytes
    Conversation& ack(Side from);          // an ACK of everything received so far
    Conversation& fin(Side from, std::uint32_t bytes = 0);  // FIN+ACK, after `bytes` of data
    Conversation& rst(Side from, bool with_ack = true);
    // RST+ACK from the server answering the client's SYN: nobody listens (RFC 9293 §3.10.7.1).
    Conversation& refuse();
    // The side's last segment again, unchanged but for the current acknowledgment.
    Conversation& retransmit(Side from);

    const std::vector<WireSegment>& segments() const { return segments_; }
    Instant now() const { return now_; }
    const wire::Endpoint& endpoint(Side s) const { return s == Side::client ? opts_.client : opts_.server; }

private:
    struct Peer {
        SeqNum snd_nxt;
        SeqNum rcv_nxt;
        bool synchronized{false};  // has received the other side's SYN
        std::optional<WireSegment> last;
    };
    Peer& peer(Side s) { return s == Side::client ? client_ : server_; }
    Conversation& emit(Side from, int flag_bits, std::uint32_t bytes, std::optional<SeqNum> seq = {});
    void receive(const WireSegment& seg);

    Options opts_;
    Instant now_;
    Peer client_;
    Peer server_;
    bool lose_next_{false};
    bool hold_next_{false};
    std::deque<WireSegment> in_flight_;
    std::vector<WireSegment> segments_;
};

} // namespace teardown::sim
