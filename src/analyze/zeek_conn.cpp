#include "analyze/zeek_conn.hpp"

#include <cctype>

namespace teardown::analyze {

namespace {

enum : std::uint8_t { k_syn = 1, k_fin = 2, k_rst = 4, k_data = 8, k_ack = 16, k_multi = 32, k_fin_rst = 64 };

} // namespace

void ZeekConn::add(const End& e, char code) {
    history_ += &e == &orig_ ? code : static_cast<char>(std::tolower(static_cast<unsigned char>(code)));
}

// Zeek's CheckHistory: a letter the first time its kind is seen; true when it was seen before.
bool ZeekConn::once(End& e, std::uint8_t bit, char code) {
    if ((e.seen & bit) == 0) {
        e.seen = static_cast<std::uint8_t>(e.seen | bit);
        add(e, code);
        return false;
    }
    return true;
}

// Zeek's ScaledHistoryEntry: the letter again at 1, 10, 100, ... occurrences.
void ZeekConn::scaled(End& e, std::uint32_t& count, std::uint32_t& next, char code) {
    if (count == UINT32_MAX) return;
    if (++count == next) {
        add(e, code);
        next = next > UINT32_MAX / 10 ? UINT32_MAX : next * 10;
    }
}

void ZeekConn::history_of(End& e, const Segment& s) {
    const auto& f = s.flags;
    const int control = (f.syn_set() ? 1 : 0) + (f.fin_set() ? 1 : 0) + (f.rst_set() ? 1 : 0);
    if (control > 1) {
        if (f.fin_set() && f.rst_set()) once(e, k_fin_rst, 'I');
        else once(e, k_multi, 'Q');
    } else if (control == 1) {
        // A SYN, FIN or RST counts again when it is a new one (another sequence number).
        if (f.syn_set()) {
            const char code = f.ack_set() ? 'H' : 'S';
            if (once(e, k_syn, code) && e.last_syn != s.seq) add(e, code);
            e.last_syn = s.seq;
        }
        if (f.fin_set()) {
            const SeqNum at = s.seq + s.len;
            if (once(e, k_fin, 'F') && e.last_fin != at) add(e, 'F');
            e.last_fin = at;
        }
        if (f.rst_set()) {
            if (once(e, k_rst, 'R') && e.last_rst != s.seq) add(e, 'R');
            e.last_rst = s.seq;
        }
    } else if (s.len > 0) {
        once(e, k_data, 'D');
    } else if (f.ack_set()) {
        once(e, k_ack, 'A');
    }
}

// Zeek's UpdateStateMachine, endpoint by endpoint.
void ZeekConn::transition(End& e, End& peer, const Segment& s) {
    const auto& f = s.flags;
    switch (e.state) {
    case State::inactive:
        if (f.syn_set()) {
            if (s.from_orig) {
                e.set(f.ack_set() ? State::syn_ack_sent : State::syn_sent);
            } else {
                if (peer.state == State::syn_sent) peer.set(State::established);
                e.set(State::established);
            }
        }
        if (f.fin_set()) e.set(State::closed);
        if (f.rst_set()) e.set(State::reset);
        if (e.state == State::inactive) {
            // No control flag: a responder's bare ACK of a SYN leaves it
            // inactive; an ACK after the peer is established joins it; the rest is partial.
            if (!s.from_orig && s.len == 0 && orig_.state == State::syn_sent) {
            } else if (f.ack_set() && peer.state == State::established) {
                e.set(State::established);
            } else {
                e.set(State::partial);
            }
        }
        break;
    case State::syn_sent:
    case State::syn_ack_sent:
        if (f.fin_set()) e.set(State::closed);
        if (f.rst_set()) e.set(State::reset);
        break;
    case State::established:
    case State::partial:
        if (f.syn_set() && e.state == State::partial && peer.state == State::inactive && !f.ack_set())
            e.set(State::syn_sent);
        if (f.fin_set() && !f.rst_set()) {
            e.set(State::closed);
            // A FIN then a RST from the peer was a normal close after all.
            if (peer.state == State::reset && peer.prev == State::closed) peer.set(State::closed);
        }
        if (f.rst_set()) e.set(State::reset);
        break;
    case State::closed:
        if (f.rst_set() && peer.state != State::closed) e.set(State::reset);
        break;
    case State::reset:
        break;
    }
}

void ZeekConn::on_segment(const Segment& s) {
    End& e = s.from_orig ? orig_ : resp_;
    End& peer = s.from_orig ? resp_ : orig_;
    history_of(e, s);
    if (s.retransmission) scaled(e, e.rxmt, e.rxmt_next, 'T');
    if (s.bad_checksum) scaled(e, e.bad, e.bad_next, 'C');
    if (s.window == 0 && !s.flags.rst_set() && !s.flags.syn_set() && peer.state != State::closed && e.state != State::reset)
        scaled(e, e.zero, e.zero_next, 'W');
    if (!s.retransmission && s.len > 0) e.sent_payload = true;
    transition(e, peer, s);
}

// base/protocols/conn/main.zeek's conn_state().
std::string_view ZeekConn::conn_state() const {
    const State os = orig_.state;
    const State rs = resp_.state;
    const bool o_inactive = os == State::inactive || os == State::partial;
    const bool r_inactive = rs == State::inactive || rs == State::partial;
    if (rs == State::reset) {
        if (os == State::syn_sent || os == State::syn_ack_sent || (os == State::reset && !orig_.sent_payload && !resp_.sent_payload))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == State::reset) {
        if (r_inactive) {
            // Zeek's test is the pattern /^?S[^HAFGIQ]*R/ on the history: the
            // originator's SYN, then its RST before any answer or other letter.
            std::string_view h = history_;
            if (!h.empty() && h.front() == '^') h.remove_prefix(1);
            if (h.empty() || h.front() != 'S') return "OTH";
            const auto stop = h.find_first_of("HAFGIQR", 1);
            return stop != std::string_view::npos && h[stop] == 'R' ? "RSTOS0" : "OTH";
        }
        return "RSTO";
    }
    if (rs == State::closed && os == State::closed) return "SF";
    if (os == State::closed) return r_inactive ? "SH" : "S2";
    if (rs == State::closed) return o_inactive ? "SHR" : "S3";
    if (os == State::syn_sent && rs == State::inactive) return "S0";
    if (os == State::established && rs == State::established) return "S1";
    return "OTH";
}

} // namespace teardown::analyze
