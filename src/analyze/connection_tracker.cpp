#include "analyze/connection_tracker.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/mix64.hpp"

namespace teardown::analyze {

std::uint64_t ConnectionRecord::uid_seed() const {
    return wire::hash_value(wire::FourTuple{client, server}) ^ static_cast<std::uint64_t>(start.nanos());
}

ConnectionRecord::Uid ConnectionRecord::uid_of(std::uint64_t seed, std::uint64_t id) {
    // Zeek's uids are "C" and base62 of a random number; ours hash the
    // connection, so they stay the same from one run to the next.
    std::uint64_t h = mix64(seed ^ id);
    static constexpr char k_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // Two digits a division where h has two more to give (a step that
    // cannot empty it), else one, then a new h from the place once it is empty.
    static constexpr auto k_pairs = [] {
        std::array<std::array<char, 2>, 62 * 62> t{};
        for (std::size_t v = 0; v < t.size(); ++v) t[v] = {k_digits[v % 62], k_digits[v / 62]};
        return t;
    }();
    Uid out{};
    out[0] = 'C';
    for (std::size_t i = 1; i < k_uid_length; ++i) {
        if (h >= 62 * 62 && i + 1 < k_uid_length) {
            out[i] = k_pairs[h % (62 * 62)][0];
            out[++i] = k_pairs[h % (62 * 62)][1];
            h /= 62 * 62;
        } else {
            out[i] = k_digits[h % 62];
            h /= 62;
        }
        if (h == 0) h = mix64(static_cast<std::uint64_t>(i));
    }
    return out;
}

// Packed for the million connections a table can hold: IPv4 flows cost this
// plus 8 bytes a bucket of the index (docs/analyze.md "Memory").
static_assert(std::endian::native == std::endian::little, "Times keeps 48 bits of a little-endian word");
static_assert(sizeof(ConnectionTracker) <= 184, "the tracker grew: see connection_tracker.hpp");

void ConnectionTracker::Tally::add(int i, int shift, int width, std::uint64_t n) {
    const std::uint64_t top = (std::uint64_t{1} << width) - 1;
    const std::uint64_t w = word(i);
    const std::uint64_t now = w >> shift & top;
    // Below its top the field takes n where it lies; at the top it stays (saturates rather than wraps).
    set_word(i, n < top - now ? w + (n << shift) : (w & ~(top << shift)) | top << shift);
}

DirectionCounts ConnectionTracker::Tally::counts() const {
    DirectionCounts c;
    c.packets = packets();
    c.bytes = bytes();
    c.ip_bytes = ip_bytes();
    c.retransmissions = retransmissions();
    c.fins = fins();
    c.rsts = rsts();
    return c;
}

Instant ConnectionTracker::Times::get(Instant start, int i) const {
    const std::uint64_t r = raw(i);
    const auto n = static_cast<std::int64_t>(r & (k_micros - 1));
    return start + ((r & k_micros) != 0 ? Duration::micros(n) : Duration::nanos(n));
}

void ConnectionTracker::Times::set(Instant start, int i, Instant t) {
    // A capture's timestamps can step back: a time before the start counts as the start.
    const std::int64_t ns = std::max<std::int64_t>(0, (t - start).count_nanos());
    std::uint64_t r = static_cast<std::uint64_t>(ns);
    if (r >= k_micros) r = std::min<std::uint64_t>(r / 1000, k_micros - 2) | k_micros;
    std::memcpy(&h_[3 * i], &r, 6);  // the low 48 bits on a little-endian host, as raw() reads them
}

ConnectionTracker::ConnectionTracker(const CapturedSegment& first, StoredKey key, bool v6, std::uint64_t id)
    : start_{first.ts}, key_{key} {
    bits_.id = id;
    bits_.live = 1;
    bits_.v6 = v6 ? 1 : 0;
    times_.set(start_, k_last, first.ts);
    const auto& f = first.flags;
    bool client_sent_first = true;
    if (f.syn_set() && !f.ack_set()) {
        client_sent_first = true;
    } else if (f.syn_set() && f.ack_set()) {
        client_sent_first = false;  // the SYN was missed: its answer names the client
        bits_.inferred = 1;
    } else {
        // Mid-connection: servers listen on the lower (well-known) port.
        client_sent_first = !(first.src_port < first.dst_port);
        bits_.inferred = 1;
    }
    bits_.client_is_lo = first.from_lo == client_sent_first ? 1 : 0;
    if (!client_sent_first) ZeekConn{client_.zeek, server_.zeek, history_}.flipped();
}

// A SYN with another ISN starts a new connection once the old one began to
// close or went quiet (Zeek's "reuse"); in the middle of a live connection
// it is a SYN in a synchronized state (RFC 5961 §4), part of the old one.
bool ConnectionTracker::is_new_syn(const CapturedSegment& s) const {
    if (!s.flags.syn_set() || s.flags.ack_set()) return false;
    const Duration quiet = s.ts - last_seen();
    // The same ISN again is a retransmission, unless it comes after 2 MSL of
    // silence (no SYN is retransmitted that late): then it is another connection.
    if (side_of(s) == Side::client && client_.has_syn && client_.syn_seq == s.seq) return quiet >= Duration::seconds(240);
    return finished() || client_.has_fin || server_.has_fin || client_.tally.rsts() || server_.tally.rsts() ||
           quiet >= Duration::seconds(30) || !bits_.established;
}

void ConnectionTracker::on_segment(const CapturedSegment& p) {
    if (p.ts > last_seen()) times_.set(start_, k_last, p.ts);
    const Side side = side_of(p);
    Direction& d = dir(side);
    Direction& o = dir(other(side));
    const auto& f = p.flags;
    d.tally.add_packet();
    d.tally.add_bytes(p.payload_len);
    d.tally.add_ip_bytes(p.ip_len);
    const bool had_syn = d.has_syn;
    const SeqNum last_syn = d.syn_seq;

    // A challenge ACK (RFC 5961 §3) answers an inexact RST with a bare ACK.
    if (bits_.challenge_from == side_bits(side)) {
        if (f.ack_set() && !f.syn_set() && !f.fin_set() && !f.rst_set() && p.payload_len == 0) anomalies_.add(Anomaly::challenge_ack);
        bits_.challenge_from = 0;
    }

    if (f.syn_set()) {
        if (d.has_syn && d.syn_seq == p.seq) anomalies_.add(Anomaly::syn_retransmitted);
        if (!f.fin_set() && !f.rst_set()) {
            d.syn_seq = p.seq;
            d.has_syn = 1;
        }
        d.sent_syn = 1;
        if (p.window_scale != CapturedSegment::k_no_scale) {
            d.wscale = std::min<std::uint8_t>(14, p.window_scale) & 15u;
            d.wscale_offered = 1;
        }
        if (f.ack_set() && side == Side::server) bits_.syn_ack_seen = 1;
    } else {
        d.sent_other = 1;
    }
    const std::uint32_t seq_len = p.payload_len + (f.syn_set() ? 1u : 0u) + (f.fin_set() ? 1u : 0u);
    const SeqNum end = p.seq + seq_len;
    const bool keepalive = !f.syn_set() && !f.fin_set() && !f.rst_set() && p.payload_len <= 1 && d.has_next && p.seq + 1u == d.next;
    const bool retransmission = !keepalive && p.payload_len > 0 && d.has_next && end <= d.next;
    if (keepalive) anomalies_.add(Anomaly::keepalive_probes);
    if (retransmission) d.tally.add_retransmission();
    if ((retransmission || keepalive || (f.fin_set() && d.has_fin)) && d.retransmissions_at_end < 7) ++d.retransmissions_at_end;
    // Whatever the peer sent before is answered: it was heard.
    o.retransmissions_at_end = 0;
    if (seq_len > 0 && (!d.has_next || d.next < end)) {
        d.next = end;
        d.has_next = 1;
    }

    // The ACK, before the FIN it may carry: a FIN+ACK can acknowledge the peer's FIN.
    bool acked_peer_fin_now = false;
    if (f.ack_set() && !f.rst_set()) {
        if (!d.has_ack || d.highest_ack < p.ack) {
            d.highest_ack = p.ack;
            d.has_ack = 1;
        }
        if (o.has_fin && !d.acked_peer_fin && !(p.ack <= o.fin_seq)) {
            d.acked_peer_fin = 1;
            acked_peer_fin_now = true;
        }
    }
    if (!f.rst_set()) d.window = p.window;

    if (f.fin_set()) {
        d.tally.add_fin();
        const SeqNum fin = p.seq + p.payload_len;
        if (!d.has_fin) {
            d.fin_seq = fin;
            d.has_fin = 1;
            if (bits_.first_fin_side == 0) {
                bits_.first_fin_side = side_bits(side);
                times_.set(start_, k_first_fin, p.ts);
            } else {
                times_.set(start_, k_second_fin, p.ts);
            }
            if (bits_.first_closer == 0) {
                bits_.first_closer = side_bits(side);
            } else if (o.has_fin) {
                // RFC 9293 figure 13: a FIN that does not acknowledge the other crossed it.
                if (!d.acked_peer_fin) bits_.crossing = 1;
                else if (acked_peer_fin_now) bits_.three_way = 1;  // the FIN rode on the ACK of the first
            }
        } else if (fin == d.fin_seq) {
            anomalies_.add(Anomaly::fin_retransmitted);
            if (o.acked_peer_fin) anomalies_.add(Anomaly::final_ack_lost);
        }
    }
    const bool both_acked = times_.has(k_both_acked);
    if (p.payload_len > 0 && !retransmission && !keepalive) {
        d.data_unanswered = 1;
        o.data_unanswered = 0;
        if (d.has_fin && !(p.seq < d.fin_seq)) anomalies_.add(Anomaly::data_after_fin);
        if (o.has_fin && !d.has_fin) anomalies_.add(Anomaly::half_close_data);
    }
    if (both_acked && !f.rst_set() && (p.payload_len > 0 || f.syn_set() || (f.fin_set() && !(d.has_fin && p.seq + p.payload_len == d.fin_seq))))
        anomalies_.add(Anomaly::late_segment_after_close);
    if (p.window == 0 && !f.rst_set() && !f.syn_set() && (d.has_fin || o.has_fin)) anomalies_.add(Anomaly::zero_window_at_close);
    if (!both_acked && client_.has_fin && server_.has_fin && client_.acked_peer_fin && server_.acked_peer_fin)
        times_.set(start_, k_both_acked, p.ts);
    if (f.rst_set()) on_rst(side, p);
    if (bits_.syn_ack_seen && side == Side::client && f.ack_set() && !f.syn_set()) bits_.established = 1;
    if (!bits_.syn_ack_seen && !client_.sent_syn && f.ack_set()) bits_.established = 1;  // picked up mid-connection

    // Wireshark's conversation completeness, bit by bit.
    std::uint64_t c = bits_.completeness;
    if (f.syn_set() && !f.ack_set() && side == Side::client) c |= 1;
    if (f.syn_set() && f.ack_set() && side == Side::server) c |= 2;
    if (!f.syn_set() && f.ack_set()) c |= 4;  // any ACK but a SYN's, as Wireshark counts it
    if (p.payload_len > 0) c |= 8;
    if (f.fin_set()) c |= 16;
    if (f.rst_set()) c |= 32;
    bits_.completeness = c;

    ZeekConn::Segment z;
    z.from_orig = side == Side::client;
    z.flags = f;
    z.seq = p.seq;
    z.len = p.payload_len;
    z.window = p.window;
    z.retransmission = retransmission;
    z.retransmissions = d.tally.retransmissions();
    z.bad_checksum = p.bad_checksum;
    z.had_syn = had_syn;
    z.last_syn = last_syn;
    ZeekConn{client_.zeek, server_.zeek, history_}.on_segment(z);
}

void ConnectionTracker::on_rst(Side from, const CapturedSegment& p) {
    Direction& d = dir(from);
    const Direction& o = dir(other(from));
    d.tally.add_rst();
    // RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable when it acknowledges the SYN.
    const bool refusal = from == Side::server && !bits_.syn_ack_seen && client_.has_syn && p.flags.ack_set() && p.ack == client_.syn_seq + 1u;
    // Otherwise the receiver takes it only at its RCV.NXT (RFC 5961 §3), which
    // is the furthest it acknowledged, or where the sender's own data ended.
    bool exact = refusal;
    bool in_window = false;
    if (o.has_ack) {
        const std::uint32_t scale = d.wscale_offered && o.wscale_offered ? o.wscale : 0;
        const std::uint32_t wnd = std::max<std::uint32_t>(1, std::uint32_t{o.window} << scale);
        exact = exact || p.seq == o.highest_ack;
        in_window = p.seq.in_range(o.highest_ack, o.highest_ack + wnd);
    }
    if (d.has_next && p.seq == d.next) exact = true;
    const bool nothing_to_check = !o.has_ack && !refusal;
    if (!exact && !nothing_to_check) {
        anomalies_.add(in_window ? Anomaly::rst_in_window_inexact : Anomaly::rst_out_of_window);
        if (in_window) bits_.challenge_from = side_bits(other(from));
        return;
    }
    if (bits_.reset_from != 0) return;
    bits_.reset_from = side_bits(from);
    // A RST from an end whose last segments went unanswered is its give-up
    // announced (Linux resets when keep-alive or the retransmission limit fails).
    bits_.gave_up = d.retransmissions_at_end > 0 ? 1 : 0;
    const bool both_acked = times_.has(k_both_acked);
    const ResetPhase phase = !bits_.established && !refusal ? ResetPhase::handshake
                             : refusal                      ? ResetPhase::handshake
                             : both_acked                   ? ResetPhase::time_wait
                             : (client_.has_fin || server_.has_fin) ? ResetPhase::closing
                                                                    : ResetPhase::established;
    bits_.reset_phase = static_cast<std::uint64_t>(phase) + 1;
    if (d.has_fin) anomalies_.add(Anomaly::rst_after_fin);
    if (phase == ResetPhase::time_wait) anomalies_.add(Anomaly::rst_in_time_wait);
    // Bytes either side had sent that the other had not acknowledged die with the connection.
    const auto unacked = [](const Direction& sender, const Direction& receiver) {
        if (!sender.has_next || !receiver.has_ack) return false;
        const std::uint32_t beyond = sender.next - receiver.highest_ack;
        return beyond < (1u << 31) && beyond > (sender.has_fin ? 1u : 0u);
    };
    if (!refusal && (unacked(d, o) || unacked(o, d))) anomalies_.add(Anomaly::unacked_data_at_reset);
    // RFC 2525 §2.17 (Linux's tcp_close()): close() with data unread resets
    // instead of sending a FIN. On the wire: no FIN from the resetter, the
    // peer's latest data came after the resetter's own, and the RST
    // acknowledges all of it, so it was received, and never answered.
    if (!refusal && !d.has_fin && o.data_unanswered && p.flags.ack_set() && o.has_next && p.ack == o.next)
        anomalies_.add(Anomaly::unread_data_at_close);
    if (bits_.first_closer == 0) bits_.first_closer = side_bits(from);
}

void ConnectionTracker::judge(ConnectionRecord& r) const {
    const bool any_fin = client_.has_fin || server_.has_fin;
    const std::optional<Side> reset_from = side_of_bits(bits_.reset_from);
    const std::optional<ResetPhase> reset_phase =
        bits_.reset_phase == 0 ? std::nullopt : std::optional<ResetPhase>{static_cast<ResetPhase>(bits_.reset_phase - 1)};
    // A RST after both FINs were acknowledged hits TIME_WAIT, which RFC 1337
    // ignores: the close was graceful, the RST an anomaly.
    const bool rst_after_close = reset_from && reset_phase == ResetPhase::time_wait;
    if (reset_from && !rst_after_close) {
        const bool refused = *reset_from == Side::server && !bits_.syn_ack_seen && client_.sent_syn;
        r.ending = refused ? Ending::refused : bits_.gave_up ? Ending::timeout : Ending::reset;
        r.reset_by = *reset_from;
        r.reset_phase = reset_phase;
    } else if (client_.has_fin && server_.has_fin) {
        r.ending = times_.has(k_both_acked) ? Ending::graceful : Ending::graceful_unconfirmed;
        r.pattern = bits_.crossing ? Pattern::simultaneous : bits_.three_way ? Pattern::three_way : Pattern::four_way;
    } else if (client_.sent_syn && !bits_.syn_ack_seen && server_.tally.packets() == 0 && !client_.sent_other) {
        r.ending = Ending::unanswered;  // the SYN was never answered
    } else if (client_.sent_syn && bits_.syn_ack_seen && !bits_.established && !client_.sent_other) {
        r.ending = Ending::unanswered;  // the SYN-ACK was never answered: the handshake died half way
    } else if (any_fin) {
        const Side s = client_.has_fin ? Side::client : Side::server;
        const bool acked = dir(other(s)).acked_peer_fin;
        r.ending = !acked && dir(s).retransmissions_at_end > 0 ? Ending::unanswered : Ending::half_open;
    } else if (client_.retransmissions_at_end >= 2 || server_.retransmissions_at_end >= 2) {
        r.ending = Ending::timeout;  // the last of it was retransmissions or probes nobody answered
    } else {
        r.ending = Ending::open;
    }
    const std::optional<Side> closer = side_of_bits(rst_after_close ? bits_.first_fin_side : bits_.first_closer);
    r.closer = bits_.crossing ? Closer::both
               : closer       ? (*closer == Side::client ? Closer::client : Closer::server)
                              : Closer::none;
}

ConnectionRecord ConnectionTracker::record(const wire::Endpoint& lo, const wire::Endpoint& hi) const {
    ConnectionRecord r;
    r.client = bits_.client_is_lo ? lo : hi;
    r.server = bits_.client_is_lo ? hi : lo;
    r.client_inferred = bits_.inferred != 0;
    r.start = start_;
    r.end = last_seen();
    r.id = bits_.id;
    r.from_client = client_.tally.counts();
    r.from_server = server_.tally.counts();
    judge(r);
    r.anomalies = anomalies_;
    const MaybeInstant first_fin = times_.maybe(start_, k_first_fin);
    const MaybeInstant second_fin = times_.maybe(start_, k_second_fin);
    const MaybeInstant both_acked = times_.maybe(start_, k_both_acked);
    r.first_fin = first_fin;
    r.last_ack = both_acked;
    if (first_fin && both_acked) r.close_duration = *both_acked - *first_fin;
    if (first_fin && second_fin) r.half_close_duration = *second_fin - *first_fin;
    r.completeness = static_cast<std::uint8_t>(bits_.completeness);
    r.zeek_history = history_.str();
    r.zeek_conn_state = ZeekConn::conn_state(client_.zeek, server_.zeek, r.zeek_history);
    return r;
}

} // namespace teardown::analyze
