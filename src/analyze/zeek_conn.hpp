#pragma once
// A connection as Zeek's TCP analyzer sees it, so that our records carry the
// conn_state and history that conn.log pipelines expect: each endpoint's
// state (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED,
// RESET) moved by the flags it sends, the history letters (originator in
// upper case, responder in lower: S h A D F R, T retransmission, W zero
// window, C bad checksum, Q multi-flag, I FIN+RST, ^ roles flipped), and
// conn_state derived from the two end states by Zeek's published rules
// (base/protocols/conn/main.zeek).
//
// The state lives in the analyzer's trackers (a ZeekEnd in each direction,
// the letters beside them); ZeekConn is the logic over it.
#include <cstdint>
#include <string>
#include <string_view>

#include "analyze/history_letters.hpp"
#include "core/seq_num.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

// One endpoint's part, 14 bytes.
struct ZeekEnd {
    // The last FIN's and RST's sequence numbers; meaningful once their
    // letter's bit in `seen` is set. (The last SYN's is the tracker's syn_seq.)
    SeqNum last_fin, last_rst;
    // Zeek's scaled letters (W, C) show at 1, 10, 100 ... occurrences; the
    // counts stop at 65535, so the letters up to the 10,000th. T's count is
    // the tracker's retransmission tally.
    std::uint16_t zero_windows{0}, bad_checksums{0};
    std::uint8_t state : 3 {0}, prev : 3 {0};
    std::uint8_t sent_payload : 1 {0};  // all conn_state needs of Zeek's size
    std::uint8_t seen : 7 {0};          // the history letters already given once
};

class ZeekConn {
public:
    enum class State : std::uint8_t { inactive, syn_sent, syn_ack_sent, partial, established, closed, reset };

    struct Segment {
        bool from_orig{true};
        wire::TcpFlags flags;
        SeqNum seq;
        std::uint32_t len{0};
        std::uint16_t window{0};
        bool retransmission{false};
        std::uint32_t retransmissions{0};  // the sender's count, this one included
        bool bad_checksum{false};
        bool had_syn{false};               // the sender's last lone SYN was at `last_syn`
        SeqNum last_syn;
    };

    ZeekConn(ZeekEnd& orig, ZeekEnd& resp, HistoryLetters& history) : orig_{orig}, resp_{resp}, history_{history} {}

    // The originator was not the first packet's sender: history starts with '^'.
    void flipped() { history_.push_back('^'); }
    void on_segment(const Segment& s);

    static std::string_view conn_state(const ZeekEnd& orig, const ZeekEnd& resp, std::string_view history);  // static text
    static State state(const ZeekEnd& e) { return static_cast<State>(e.state); }

private:
    void add(const ZeekEnd& e, char code);
    bool once(ZeekEnd& e, std::uint8_t bit, char code);
    void history_of(ZeekEnd& e, const Segment& s);
    void transition(ZeekEnd& e, ZeekEnd& peer, const Segment& s);

    ZeekEnd& orig_;
    ZeekEnd& resp_;
    HistoryLetters& history_;
};

} // namespace teardown::analyze
