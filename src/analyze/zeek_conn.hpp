#pragma once
// A connection as Zeek's TCP analyzer sees it, so that our records carry the
// conn_state and history that conn.log pipelines expect: each endpoint's
// state (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED,
// RESET) moved by the flags it sends, the history letters (originator in
// upper case, responder in lower: S h A D F R, T retransmission, W zero
// window, C bad checksum, Q multi-flag, I FIN+RST, ^ roles flipped), and
// conn_state derived from the two end states by Zeek's published rules
// (base/protocols/conn/main.zeek).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/seq_num.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::analyze {

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
        bool bad_checksum{false};
    };

    // The originator was not the first packet's sender: history starts with '^'.
    void flipped() { history_ += '^'; }
    void on_segment(const Segment& s);

    std::string_view conn_state() const;  // static text
    const std::string& history() const { return history_; }
    State orig_state() const { return orig_.state; }
    State resp_state() const { return resp_.state; }

private:
    // 40 bytes: one of these per direction of every tracked connection.
    struct End {
        State state{State::inactive};
        State prev{State::inactive};
        bool sent_payload{false};        // all conn_state needs of Zeek's size
        std::uint8_t seen{0};            // the history letters already given once
        // The last SYN, FIN and RST sequence numbers; set whenever their
        // letter's bit in `seen` is, so they need no "unset" of their own.
        SeqNum last_syn, last_fin, last_rst;
        // Zeek's scaled letters: counts, and the count that shows the letter next.
        std::uint32_t rxmt{0}, rxmt_next{1};
        std::uint32_t zero{0}, zero_next{1};
        std::uint32_t bad{0}, bad_next{1};
        void set(State s) {
            prev = state;
            state = s;
        }
    };
    void add(const End& e, char code);
    bool once(End& e, std::uint8_t bit, char code);
    void scaled(End& e, std::uint32_t& count, std::uint32_t& next, char code);
    void history_of(End& e, const Segment& s);
    void transition(End& e, End& peer, const Segment& s);

    End orig_;
    End resp_;
    std::string history_;
};

} // namespace teardown::analyze
