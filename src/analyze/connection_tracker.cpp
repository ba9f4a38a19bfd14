#include "analyze/connection_tracker.hpp"

#include <algorithm>

#include "core/mix64.hpp"

namespace teardown::analyze {

std::array<char, ConnectionRecord::k_uid_length> ConnectionRecord::uid() const {
    // Zeek's uids are "C" and base62 of a random number; ours hash the
    // connection, so they stay the same from one run to the next.
    std::uint64_t h = mix64(wire::hash_value(wire::FourTuple{client, server}) ^ static_cast<std::uint64_t>(start.nanos()) ^ id);
    static constexpr char k_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::array<char, k_uid_length> out{};
    out[0] = 'C';
    for (std::size_t i = 1; i < k_uid_length; ++i) {
        out[i] = k_digits[h % 62];
        h /= 62;
        if (h == 0) h = mix64(static_cast<std::uint64_t>(i));
    }
    return out;
}

ConnectionTracker::ConnectionTracker(const TcpPacket& first)
    : start_{first.ts}, last_{first.ts}, first_index_{first.index} {
    const auto& f = first.flags;
    if (f.syn_set() && !f.ack_set()) {
        client_ep_ = first.src;
        server_ep_ = first.dst;
    } else if (f.syn_set() && f.ack_set()) {
        client_ep_ = first.dst;  // the SYN was missed: its answer names the client
        server_ep_ = first.src;
        inferred_ = true;
    } else {
        // Mid-connection: servers listen on the lower (well-known) port.
        const bool src_is_server = first.src.port < first.dst.port;
        client_ep_ = src_is_server ? first.dst : first.src;
        server_ep_ = src_is_server ? first.src : first.dst;
        inferred_ = true;
    }
    if (first.src != client_ep_) zeek_.flipped();
}

// A SYN with another ISN starts a new connection once the old one began to
// close or went quiet (Zeek's "reuse"); in the middle of a live connection
// it is a SYN in a synchronized state (RFC 5961 §4), part of the old one.
bool ConnectionTracker::is_new_syn(const TcpPacket& p) const {
    if (!p.flags.syn_set() || p.flags.ack_set()) return false;
    // The same ISN again is a retransmission, unless it comes after 2 MSL of
    // silence (no SYN is retransmitted that late): then it is another connection.
    if (p.src == client_ep_ && client_.isn && *client_.isn == p.seq) return p.ts - last_ >= Duration::seconds(240);
    return finished() || client_.fin_seq || server_.fin_seq || client_.counts.rsts || server_.counts.rsts ||
           p.ts - last_ >= Duration::seconds(30) || !established_;
}

bool ConnectionTracker::finished() const { return reset_from_.has_value() || both_acked_at_.has_value(); }

void ConnectionTracker::on_packet(const TcpPacket& p) {
    if (p.ts > last_) last_ = p.ts;
    const Side side = side_of(p);
    Direction& d = dir(side);
    Direction& o = dir(other(side));
    const auto& f = p.flags;
    d.counts.packets += 1;
    d.counts.bytes += p.payload_len;
    d.counts.ip_bytes += p.ip_len;

    // A challenge ACK (RFC 5961 §3) answers an inexact RST with a bare ACK.
    if (challenge_from_ == side) {
        if (f.ack_set() && !f.syn_set() && !f.fin_set() && !f.rst_set() && p.payload_len == 0) anomalies_.add(Anomaly::challenge_ack);
        challenge_from_.reset();
    }

    if (f.syn_set()) {
        if (d.isn && *d.isn == p.seq) anomalies_.add(Anomaly::syn_retransmitted);
        if (!d.isn) d.isn = p.seq;
        ++d.syns;
        if (p.window_scale) {
            d.wscale = *p.window_scale;
            d.wscale_offered = true;
        }
        if (f.ack_set() && side == Side::server) syn_ack_seen_ = true;
    }
    const std::uint32_t seq_len = p.payload_len + (f.syn_set() ? 1u : 0u) + (f.fin_set() ? 1u : 0u);
    const SeqNum end = p.seq + seq_len;
    const bool keepalive = !f.syn_set() && !f.fin_set() && !f.rst_set() && p.payload_len <= 1 && d.next && p.seq + 1u == *d.next;
    const bool retransmission = !keepalive && p.payload_len > 0 && d.next && end <= *d.next;
    if (keepalive) anomalies_.add(Anomaly::keepalive_probes);
    if (retransmission) ++d.counts.retransmissions;
    if (retransmission || keepalive || (f.fin_set() && d.fin_seq)) ++d.retransmissions_at_end;
    // Whatever the peer sent before is answered: it was heard.
    o.retransmissions_at_end = 0;
    if (seq_len > 0 && (!d.next || *d.next < end)) d.next = end;

    // The ACK, before the FIN it may carry: a FIN+ACK can acknowledge the peer's FIN.
    bool acked_peer_fin_now = false;
    if (f.ack_set() && !f.rst_set()) {
        if (!d.highest_ack || *d.highest_ack < p.ack) d.highest_ack = p.ack;
        if (o.fin_seq && !d.acked_peer_fin_at && !(p.ack <= *o.fin_seq)) {
            d.acked_peer_fin_at = p.ts;
            acked_peer_fin_now = true;
        }
    }
    if (!f.rst_set()) d.window = p.window;

    if (f.fin_set()) {
        ++d.counts.fins;
        const SeqNum fin = p.seq + p.payload_len;
        if (!d.fin_seq) {
            d.fin_seq = fin;
            d.fin_at = p.ts;
            if (!first_fin_side_) first_fin_side_ = side;
            if (!first_closer_) {
                first_closer_ = side;
            } else if (o.fin_seq) {
                second_fin_at_ = p.ts;
                // RFC 9293 figure 13: a FIN that does not acknowledge the other crossed it.
                if (!d.acked_peer_fin_at) crossing_ = true;
                else if (acked_peer_fin_now) three_way_ = true;  // the FIN rode on the ACK of the first
            }
        } else if (fin == *d.fin_seq) {
            anomalies_.add(Anomaly::fin_retransmitted);
            if (o.acked_peer_fin_at) anomalies_.add(Anomaly::final_ack_lost);
        }
    }
    if (p.payload_len > 0 && !retransmission && !keepalive) {
        d.data_unanswered = true;
        o.data_unanswered = false;
        if (d.fin_seq && !(p.seq < *d.fin_seq)) anomalies_.add(Anomaly::data_after_fin);
        if (o.fin_seq && !d.fin_seq) anomalies_.add(Anomaly::half_close_data);
    }
    if (both_acked_at_ && !f.rst_set() && (p.payload_len > 0 || f.syn_set() || (f.fin_set() && !(d.fin_seq && p.seq + p.payload_len == *d.fin_seq))))
        anomalies_.add(Anomaly::late_segment_after_close);
    if (p.window == 0 && !f.rst_set() && !f.syn_set() && (d.fin_seq || o.fin_seq)) anomalies_.add(Anomaly::zero_window_at_close);
    if (!both_acked_at_ && client_.fin_seq && server_.fin_seq && client_.acked_peer_fin_at && server_.acked_peer_fin_at)
        both_acked_at_ = p.ts;
    if (f.rst_set()) on_rst(side, p);
    if (syn_ack_seen_ && side == Side::client && f.ack_set() && !f.syn_set()) established_ = true;
    if (!syn_ack_seen_ && !client_.isn && f.ack_set()) established_ = true;  // picked up mid-connection

    // Wireshark's conversation completeness, bit by bit.
    if (f.syn_set() && !f.ack_set() && side == Side::client) completeness_ |= 1;
    if (f.syn_set() && f.ack_set() && side == Side::server) completeness_ |= 2;
    if (!f.syn_set() && f.ack_set()) completeness_ |= 4;  // any ACK but a SYN's, as Wireshark counts it
    if (p.payload_len > 0) completeness_ |= 8;
    if (f.fin_set()) completeness_ |= 16;
    if (f.rst_set()) completeness_ |= 32;

    ZeekConn::Segment z;
    z.from_orig = side == Side::client;
    z.flags = f;
    z.seq = p.seq;
    z.len = p.payload_len;
    z.window = p.window;
    z.retransmission = retransmission;
    z.bad_checksum = p.bad_checksum;
    zeek_.on_segment(z);
}

void ConnectionTracker::on_rst(Side from, const TcpPacket& p) {
    Direction& d = dir(from);
    const Direction& o = dir(other(from));
    ++d.counts.rsts;
    // RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable when it acknowledges the SYN.
    const bool refusal = from == Side::server && !syn_ack_seen_ && client_.isn && p.flags.ack_set() && p.ack == *client_.isn + 1u;
    // Otherwise the receiver takes it only at its RCV.NXT (RFC 5961 §3), which
    // is the furthest it acknowledged, or where the sender's own data ended.
    bool exact = refusal;
    bool in_window = false;
    if (o.highest_ack) {
        const std::uint32_t scale = d.wscale_offered && o.wscale_offered ? o.wscale : 0;
        const std::uint32_t wnd = std::max<std::uint32_t>(1, std::uint32_t{o.window} << scale);
        exact = exact || p.seq == *o.highest_ack;
        in_window = p.seq.in_range(*o.highest_ack, *o.highest_ack + wnd);
    }
    if (d.next && p.seq == *d.next) exact = true;
    const bool nothing_to_check = !o.highest_ack && !refusal;
    if (!exact && !nothing_to_check) {
        anomalies_.add(in_window ? Anomaly::rst_in_window_inexact : Anomaly::rst_out_of_window);
        if (in_window) challenge_from_ = other(from);
        return;
    }
    if (reset_from_) return;
    reset_from_ = from;
    // A RST from an end whose last segments went unanswered is its give-up
    // announced (Linux resets when keep-alive or the retransmission limit fails).
    gave_up_ = d.retransmissions_at_end > 0;
    reset_phase_ = !established_ && !refusal ? ResetPhase::handshake
                   : refusal                 ? ResetPhase::handshake
                   : both_acked_at_          ? ResetPhase::time_wait
                   : (client_.fin_seq || server_.fin_seq) ? ResetPhase::closing
                                                          : ResetPhase::established;
    if (d.fin_seq) anomalies_.add(Anomaly::rst_after_fin);
    if (reset_phase_ == ResetPhase::time_wait) anomalies_.add(Anomaly::rst_in_time_wait);
    // Bytes either side had sent that the other had not acknowledged die with the connection.
    const auto unacked = [](const Direction& sender, const Direction& receiver) {
        if (!sender.next || !receiver.highest_ack) return false;
        const std::uint32_t beyond = *sender.next - *receiver.highest_ack;
        return beyond < (1u << 31) && beyond > (sender.fin_seq ? 1u : 0u);
    };
    if (!refusal && (unacked(d, o) || unacked(o, d))) anomalies_.add(Anomaly::unacked_data_at_reset);
    // RFC 2525 §2.17 (Linux's tcp_close()): close() with data unread resets
    // instead of sending a FIN. On the wire: no FIN from the resetter, the
    // peer's latest data came after the resetter's own, and the RST
    // acknowledges all of it, so it was received, and never answered.
    if (!refusal && !d.fin_seq && o.data_unanswered && p.flags.ack_set() && o.next && p.ack == *o.next)
        anomalies_.add(Anomaly::unread_data_at_close);
    if (!first_closer_) first_closer_ = from;
}

void ConnectionTracker::judge(ConnectionRecord& r) const {
    const bool any_fin = client_.fin_seq || server_.fin_seq;
    // A RST after both FINs were acknowledged hits TIME_WAIT, which RFC 1337
    // ignores: the close was graceful, the RST an anomaly.
    const bool rst_after_close = reset_from_ && reset_phase_ == ResetPhase::time_wait;
    if (reset_from_ && !rst_after_close) {
        const bool refused = *reset_from_ == Side::server && !syn_ack_seen_ && client_.syns > 0;
        r.ending = refused ? Ending::refused : gave_up_ ? Ending::timeout : Ending::reset;
        r.reset_by = *reset_from_;
        r.reset_phase = reset_phase_;
    } else if (client_.fin_seq && server_.fin_seq) {
        r.ending = both_acked_at_ ? Ending::graceful : Ending::graceful_unconfirmed;
        r.pattern = crossing_ ? Pattern::simultaneous : three_way_ ? Pattern::three_way : Pattern::four_way;
    } else if (client_.syns > 0 && !syn_ack_seen_ && server_.counts.packets == 0 && client_.counts.packets == client_.syns) {
        r.ending = Ending::unanswered;  // the SYN was never answered
    } else if (client_.syns > 0 && syn_ack_seen_ && !established_ && client_.counts.packets == client_.syns) {
        r.ending = Ending::unanswered;  // the SYN-ACK was never answered: the handshake died half way
    } else if (any_fin) {
        const Side s = client_.fin_seq ? Side::client : Side::server;
        const bool acked = dir(other(s)).acked_peer_fin_at.has_value();
        r.ending = !acked && dir(s).retransmissions_at_end > 0 ? Ending::unanswered : Ending::half_open;
    } else if (client_.retransmissions_at_end >= 2 || server_.retransmissions_at_end >= 2) {
        r.ending = Ending::timeout;  // the last of it was retransmissions or probes nobody answered
    } else {
        r.ending = Ending::open;
    }
    const std::optional<Side> closer = rst_after_close ? first_fin_side_ : first_closer_;
    r.closer = crossing_ ? Closer::both
               : closer  ? (*closer == Side::client ? Closer::client : Closer::server)
                         : Closer::none;
}

ConnectionRecord ConnectionTracker::record() const {
    ConnectionRecord r;
    r.client = client_ep_;
    r.server = server_ep_;
    r.client_inferred = inferred_;
    r.start = start_;
    r.end = last_;
    r.first_packet = first_index_;
    r.from_client = client_.counts;
    r.from_server = server_.counts;
    judge(r);
    r.anomalies = anomalies_;
    const auto first_fin = [&]() -> std::optional<Instant> {
        if (client_.fin_at && server_.fin_at) return std::min(*client_.fin_at, *server_.fin_at);
        return client_.fin_at ? client_.fin_at : server_.fin_at;
    }();
    r.first_fin = first_fin;
    r.last_ack = both_acked_at_;
    if (first_fin && both_acked_at_) r.close_duration = *both_acked_at_ - *first_fin;
    if (first_fin && second_fin_at_) r.half_close_duration = *second_fin_at_ - *first_fin;
    r.completeness = completeness_;
    r.zeek_conn_state = zeek_.conn_state();
    r.zeek_history = zeek_.history();
    return r;
}

} // namespace teardown::analyze
