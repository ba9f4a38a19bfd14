#include "analyze/inferred_states.hpp"

namespace teardown::analyze {

void InferredEnds::move(std::vector<Change>& out, Side s, TcpState to) {
    End& e = end(s);
    if (e.state == to) return;
    out.push_back({s, e.state, to});
    e.state = to;
}

// RFC 9293 §3.10.7.4, eighth step: what the peer's FIN does to an end.
void InferredEnds::receive_fin(std::vector<Change>& out, Side side) {
    End& e = end(side);
    e.peer_fin_pending = false;
    switch (e.state) {
    case TcpState::established: move(out, side, TcpState::close_wait); break;
    case TcpState::fin_wait_1: move(out, side, e.peer_fin_acked_mine ? TcpState::time_wait : TcpState::closing); break;
    case TcpState::fin_wait_2: move(out, side, TcpState::time_wait); break;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait: break;
    }
}

std::vector<InferredEnds::Change> InferredEnds::on_segment(Side from, wire::TcpFlags f, SeqNum seq, SeqNum ack,
                                                          std::uint32_t payload_len) {
    std::vector<Change> out;
    const Side to = other(from);
    End& s = end(from);
    End& r = end(to);
    if (f.rst_set()) {
        // The sender is done with it, and so is the receiver (we cannot tell an
        // ignored RST here); an end that came from LISTEN goes back to it.
        const auto after_rst = [](TcpState st) { return st == TcpState::syn_received || st == TcpState::listen ? TcpState::listen : TcpState::closed; };
        move(out, from, after_rst(s.state));
        move(out, to, after_rst(r.state));
        s.peer_fin_pending = r.peer_fin_pending = false;
        return out;
    }
    // The sender's FIN before this segment reached the receiver first.
    if (r.peer_fin_pending) receive_fin(out, to);
    // The sender's word on the peer's FIN: acknowledged, it arrived before this segment left.
    const bool acks_peer_fin = f.ack_set() && r.fin_end && !(ack < *r.fin_end);
    if (s.peer_fin_pending && acks_peer_fin) receive_fin(out, from);
    // What sending it does to the sender (RFC 9293 §3.10).
    if (f.syn_set() && !f.ack_set() && s.state == TcpState::closed) move(out, from, TcpState::syn_sent);
    if (f.syn_set() && f.ack_set() && (s.state == TcpState::listen || s.state == TcpState::syn_sent))
        move(out, from, TcpState::syn_received);
    if (f.fin_set()) {
        const SeqNum fin_end = seq + payload_len + 1u;
        // Its FIN again from an end taken for CLOSED: the last ACK we saw never
        // reached it (lost after the capture point), so it is still in LAST_ACK.
        if (s.state == TcpState::closed && s.fin_end == fin_end) move(out, from, TcpState::last_ack);
        s.fin_end = fin_end;
        if (s.state == TcpState::established || s.state == TcpState::syn_received) move(out, from, TcpState::fin_wait_1);
        else if (s.state == TcpState::close_wait) move(out, from, TcpState::last_ack);
    }
    // What receiving it does to the other end: at once for SYNs and ACKs;
    // for a FIN, once the receiver shows it (see on top).
    if (f.syn_set() && !f.ack_set() && r.state == TcpState::listen) move(out, to, TcpState::syn_received);
    if (f.syn_set() && f.ack_set() && r.state == TcpState::syn_sent) move(out, to, TcpState::established);
    if (f.ack_set() && !f.syn_set()) {
        if (r.state == TcpState::syn_received) move(out, to, TcpState::established);
        const bool acks_fin = r.fin_end && !(ack < *r.fin_end);
        if (acks_fin) {
            if (r.state == TcpState::fin_wait_1) move(out, to, TcpState::fin_wait_2);
            else if (r.state == TcpState::closing) move(out, to, TcpState::time_wait);
            else if (r.state == TcpState::last_ack) move(out, to, TcpState::closed);
        }
    }
    if (f.fin_set()) {
        r.peer_fin_pending = true;
        r.peer_fin_acked_mine = f.ack_set() && r.fin_end && !(ack < *r.fin_end);
    }
    return out;
}

} // namespace teardown::analyze
