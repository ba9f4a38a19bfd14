#pragma once
// The RFC 9293 states of both ends of a connection, inferred from its
// packets as a capture point between them sees them: each end moves when
// it sends a SYN, FIN or RST, and when the other end's SYN, FIN, ACK of its
// FIN or accepted RST reaches it. What the analyzer's --ladder writes beside
// each arrow. An inference: a segment lost after the capture point moves an
// end here that never got it there. A FIN's arrival is taken as known when
// its receiver acknowledges it, or when the FIN's sender's next segment
// reaches the receiver (which it cannot overtake); until then a FIN of the
// receiver's own that does not acknowledge it has crossed it (RFC 9293
// figure 13), and the receiver closes through CLOSING.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/seq_num.hpp"
#include "core/vocabulary.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

class InferredEnds {
public:
    struct Change {
        Side side;
        TcpState from;
        TcpState to;
    };
    // The changes one segment from `from` makes, sender's first.
    std::vector<Change> on_segment(Side from, wire::TcpFlags flags, SeqNum seq, SeqNum ack, std::uint32_t payload_len);
    TcpState state(Side s) const { return s == Side::client ? client_.state : server_.state; }

private:
    struct End {
        TcpState state{TcpState::closed};
        std::optional<SeqNum> fin_end;  // past its FIN: the ACK that acknowledges it
        bool peer_fin_pending{false};   // the peer's FIN went by; its arrival not yet shown
        bool peer_fin_acked_mine{false};  // and that FIN acknowledged this end's own
    };
    void receive_fin(std::vector<Change>& out, Side s);
    End& end(Side s) { return s == Side::client ? client_ : server_; }
    void move(std::vector<Change>& out, Side s, TcpState to);

    End client_{TcpState::closed, {}, false, false};
    End server_{TcpState::listen, {}, false, false};
};

} // namespace teardown::analyze
