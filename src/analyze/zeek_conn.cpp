#include "analyze/zeek_conn.hpp"

namespace teardown::analyze {

namespace {

enum : std::uint8_t { k_syn = 1, k_fin = 2, k_rst = 4, k_data = 8, k_ack = 16, k_multi = 32, k_fin_rst = 64 };

// Zeek's ScaledHistoryEntry shows a letter at the 1st, 10th, 100th ... occurrence.
bool power_of_ten(std::uint32_t n) {
    while (n >= 10 && n % 10 == 0) n /= 10;
    return n == 1;
}

// A count of 16 bits, stopping at its top; true when this occurrence shows its letter.
bool count_scaled(std::uint16_t& count) {
    if (count == UINT16_MAX) return false;
    return power_of_ten(++count);
}

} // namespace

void ZeekConn::add(const ZeekEnd& e, char code) {
    // The codes are upper-case ASCII letters: the responder's are the same in lower case.
    history_.push_back(&e == &orig_ ? code : static_cast<char>(code | 0x20));
}

// Zeek's CheckHistory: a letter the first time its kind is seen; true when it was seen before.
bool ZeekConn::once(ZeekEnd& e, std::uint8_t bit, char code) {
    if ((e.seen & bit) == 0) {
        e.seen = static_cast<std::uint8_t>(e.seen | bit) & 0x7F;
        add(e, code);
        return false;
    }
    return true;
}

void ZeekConn::history_of(ZeekEnd& e, const Segment& s) {
    const auto& f = s.flags;
    const int control = (f.syn_set() ? 1 : 0) + (f.fin_set() ? 1 : 0) + (f.rst_set() ? 1 : 0);
    if (control > 1) {
        if (f.fin_set() && f.rst_set()) once(e, k_fin_rst, 'I');
        else once(e, k_multi, 'Q');
    } else if (control == 1) {
        // A SYN, FIN or RST counts again when it is a new one (another sequence number).
        if (f.syn_set()) {
            const char code = f.ack_set() ? 'H' : 'S';
            if (once(e, k_syn, code) && s.had_syn && s.last_syn != s.seq) add(e, code);
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
void ZeekConn::transition(ZeekEnd& e, ZeekEnd& peer, const Segment& s) {
    const auto set = [](ZeekEnd& x, State to) {
        x.prev = x.state;
        x.state = static_cast<std::uint8_t>(to) & 7u;
    };
    const auto& f = s.flags;
    switch (state(e)) {
    case State::inactive:
        if (f.syn_set()) {
            if (s.from_orig) {
                set(e, f.ack_set() ? State::syn_ack_sent : State::syn_sent);
            } else {
                if (state(peer) == State::syn_sent) set(peer, State::established);
                set(e, State::established);
            }
        }
        if (f.fin_set()) set(e, State::closed);
        if (f.rst_set()) set(e, State::reset);
        if (state(e) == State::inactive) {
            // No control flag: a responder's bare ACK of a SYN leaves it
            // inactive; an ACK after the peer is established joins it; the rest is partial.
            if (!s.from_orig && s.len == 0 && state(orig_) == State::syn_sent) {
            } else if (f.ack_set() && state(peer) == State::established) {
                set(e, State::established);
            } else {
                set(e, State::partial);
            }
        }
        break;
    case State::syn_sent:
    case State::syn_ack_sent:
        if (f.fin_set()) set(e, State::closed);
        if (f.rst_set()) set(e, State::reset);
        break;
    case State::established:
    case State::partial:
        if (f.syn_set() && state(e) == State::partial && state(peer) == State::inactive && !f.ack_set())
            set(e, State::syn_sent);
        if (f.fin_set() && !f.rst_set()) {
            set(e, State::closed);
            // A FIN then a RST from the peer was a normal close after all.
            if (state(peer) == State::reset && static_cast<State>(peer.prev) == State::closed) set(peer, State::closed);
        }
        if (f.rst_set()) set(e, State::reset);
        break;
    case State::closed:
        if (f.rst_set() && state(peer) != State::closed) set(e, State::reset);
        break;
    case State::reset:
        break;
    }
}

void ZeekConn::on_segment(const Segment& s) {
    ZeekEnd& e = s.from_orig ? orig_ : resp_;
    ZeekEnd& peer = s.from_orig ? resp_ : orig_;
    history_of(e, s);
    if (s.retransmission && power_of_ten(s.retransmissions)) add(e, 'T');
    if (s.bad_checksum && count_scaled(e.bad_checksums)) add(e, 'C');
    if (s.window == 0 && !s.flags.rst_set() && !s.flags.syn_set() && state(peer) != State::closed && state(e) != State::reset &&
        count_scaled(e.zero_windows))
        add(e, 'W');
    if (!s.retransmission && s.len > 0) e.sent_payload = 1;
    transition(e, peer, s);
}

// base/protocols/conn/main.zeek's conn_state().
std::string_view ZeekConn::conn_state(const ZeekEnd& orig, const ZeekEnd& resp, std::string_view history) {
    const State os = state(orig);
    const State rs = state(resp);
    const bool o_inactive = os == State::inactive || os == State::partial;
    const bool r_inactive = rs == State::inactive || rs == State::partial;
    if (rs == State::reset) {
        if (os == State::syn_sent || os == State::syn_ack_sent || (os == State::reset && !orig.sent_payload && !resp.sent_payload))
            return "REJ";
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == State::reset) {
        if (r_inactive) {
            // Zeek's test is the pattern /^?S[^HAFGIQ]*R/ on the history: the
            // originator's SYN, then its RST before any answer or other letter.
            std::string_view h = history;
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
