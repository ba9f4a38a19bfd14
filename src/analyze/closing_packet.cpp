#include "analyze/closing_packet.hpp"

#include <utility>

namespace teardown::analyze {

std::string_view to_string(ClosingKind k) {
    switch (k) {
    case ClosingKind::not_closing: return "not_closing";
    case ClosingKind::fin_starts_close: return "fin_starts_close";
    case ClosingKind::ack_of_fin: return "ack_of_fin";
    case ClosingKind::fin_closes_too: return "fin_closes_too";
    case ClosingKind::fin_three_way: return "fin_three_way";
    case ClosingKind::fin_simultaneous: return "fin_simultaneous";
    case ClosingKind::fin_retransmitted: return "fin_retransmitted";
    case ClosingKind::last_ack: return "last_ack";
    case ClosingKind::ack_of_fin_repeated: return "ack_of_fin_repeated";
    case ClosingKind::rst_refused: return "rst_refused";
    case ClosingKind::rst_abort: return "rst_abort";
    case ClosingKind::rst_after_fin: return "rst_after_fin";
    }
    return "?";
}

std::string ClosingLabel::text() const {
    const std::string me{teardown::to_string(from)};
    const std::string peer{teardown::to_string(other(from))};
    switch (kind) {
    case ClosingKind::not_closing: return "";
    case ClosingKind::fin_starts_close: return "FIN from " + me + ": starts close";
    case ClosingKind::ack_of_fin: return "ACK of FIN: " + me + " acknowledges the " + peer + "'s FIN";
    case ClosingKind::fin_closes_too: return "FIN from " + me + ": closes its side too";
    case ClosingKind::fin_three_way: return "FIN+ACK from " + me + ": ACKs the " + peer + "'s FIN and closes (3-way close)";
    case ClosingKind::fin_simultaneous: return "FIN from " + me + ": simultaneous close";
    case ClosingKind::fin_retransmitted: return "FIN from " + me + " retransmitted: no ACK yet";
    case ClosingKind::last_ack: return "last ACK from " + me + ": both FINs acknowledged, connection closed";
    case ClosingKind::ack_of_fin_repeated: return "ACK of FIN again: " + me + " answers the " + peer + "'s retransmitted FIN";
    case ClosingKind::rst_refused: return "RST from " + me + ": connection refused";
    case ClosingKind::rst_abort: return "RST from " + me + ": abortive close";
    case ClosingKind::rst_after_fin: return "RST from " + me + " after FIN: the close turned abortive";
    }
    return "";
}

bool ClosingTracker::finished() const {
    const auto& c = dirs_[0];
    const auto& s = dirs_[1];
    return c.rst_seen || s.rst_seen || (c.fin_acked && s.fin_acked);
}

bool ClosingTracker::acks_fin_of(Side peer, wire::TcpFlags flags, SeqNum ack) const {
    const auto& d = dirs_[static_cast<int>(peer)];
    // The FIN occupies fin_seq, so an ACK at fin_seq + 1 or beyond covers it (RFC 9293 §3.4).
    return d.fin_seen && flags.ack_set() && ack > d.fin_seq;
}

ClosingLabel ClosingTracker::on_segment(Side from, wire::TcpFlags flags, SeqNum seq, SeqNum ack,
                                        std::uint32_t payload_len) {
    Direction& me = dir(from);
    Direction& peer = dir(other(from));
    const Side peer_side = other(from);

    if (flags.syn_set()) {
        me.syn_seen = true;
        if (flags.ack_set()) me.syn_ack_seen = true;
    }

    if (flags.rst_set()) {
        me.rst_seen = true;
        // A SYN that got no SYN-ACK from this side, answered by RST: refused (RFC 9293 §3.10.7.1).
        if (peer.syn_seen && !me.syn_ack_seen && !me.syn_seen) return {ClosingKind::rst_refused, from};
        if (me.fin_seen || peer.fin_seen) return {ClosingKind::rst_after_fin, from};
        return {ClosingKind::rst_abort, from};
    }

    const bool newly_acks_peer_fin = acks_fin_of(peer_side, flags, ack) && !peer.fin_acked;
    const bool reacks_peer_fin = acks_fin_of(peer_side, flags, ack) && peer.fin_acked && peer.fin_retransmit_pending;
    if (newly_acks_peer_fin) peer.fin_acked = true;
    if (newly_acks_peer_fin || reacks_peer_fin) peer.fin_retransmit_pending = false;

    if (flags.fin_set()) {
        // The FIN follows the payload and the SYN, if any (RFC 9293 §3.4).
        const SeqNum fin_seq = seq + payload_len + (flags.syn_set() ? 1u : 0u);
        if (me.fin_seen && fin_seq == me.fin_seq) {
            me.fin_retransmit_pending = true;
            return {ClosingKind::fin_retransmitted, from};
        }
        me.fin_seen = true;
        me.fin_seq = fin_seq;
        if (!peer.fin_seen) return {ClosingKind::fin_starts_close, from};
        if (newly_acks_peer_fin) return {ClosingKind::fin_three_way, from};
        if (peer.fin_acked) return {ClosingKind::fin_closes_too, from};
        return {ClosingKind::fin_simultaneous, from};
    }

    if (newly_acks_peer_fin) {
        if (me.fin_seen && me.fin_acked) return {ClosingKind::last_ack, from};
        return {ClosingKind::ack_of_fin, from};
    }
    if (reacks_peer_fin) return {ClosingKind::ack_of_fin_repeated, from};
    return {ClosingKind::not_closing, from};
}

void ClosingClassifier::forget_quiet_flows(Instant now) {
    for (auto it = flows_.begin(); it != flows_.end();) {
        const Duration quiet = now - it->second.last_seen;
        const bool done = it->second.tracker.finished() ? quiet > limits_.linger : quiet > limits_.idle;
        if (done) {
            it = flows_.erase(it);
            ++forgotten_;
        } else {
            ++it;
        }
    }
}

ClosingLabel ClosingClassifier::on_segment(const wire::Endpoint& src, const wire::Endpoint& dst,
                                           wire::TcpFlags flags, SeqNum seq, SeqNum ack,
                                           std::uint32_t payload_len, Instant at) {
    // Sweep at most once per linger period of capture time: the cost spreads over many packets.
    if (at >= next_sweep_) {
        forget_quiet_flows(at);
        next_sweep_ = at + limits_.linger;
    }
    // Key by the ordered pair so both directions find the same flow.
    wire::FourTuple key = src < dst ? wire::FourTuple{src, dst} : wire::FourTuple{dst, src};
    const bool opening_syn = flags.syn_set() && !flags.ack_set();
    auto it = flows_.find(key);
    if (it != flows_.end() && opening_syn && it->second.tracker.finished()) {
        flows_.erase(it);  // the 4-tuple is reused: a new connection
        it = flows_.end();
    }
    if (it == flows_.end()) {
        wire::Endpoint client;
        if (opening_syn) client = src;
        else if (flags.syn_set()) client = dst;  // a SYN-ACK goes to the client
        else client = src.port < dst.port ? dst : src;  // mid-connection: guess the lower port serves
        it = flows_.emplace(key, Flow{client, ClosingTracker{}, at}).first;
    }
    it->second.last_seen = at;
    const Side from = (src == it->second.client) ? Side::client : Side::server;
    return it->second.tracker.on_segment(from, flags, seq, ack, payload_len);
}

} // namespace teardown::analyze
