#pragma once
// One TCP connection's state machine (RFC 9293 §3.10): the transmission
// control block and the event processing around it. Sans-I/O: the caller
// hands in segments, application calls and the time; the Tcb hands back the
// segments to send, the application events, every state change with its
// cause, and when it next needs to be woken.
//
// It covers opening (active, passive, simultaneous), data both ways with
// flow and congestion control (RFC 5681, NewReno per RFC 6582, SACK per RFC
// 2018), every way of closing, RST both ways with RFC 9293's exact-sequence
// rule and challenge ACKs, retransmission on an RFC 6298 timer, RFC 7323
// window scaling, timestamps, RTT measurement and PAWS, keep-alive, user
// timeout, and TIME_WAIT; docs/engine.md lists each with its RFC.
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "core/vocabulary.hpp"
#include "engine/byte_queue.hpp"
#include "engine/config.hpp"
#include "engine/errno.hpp"
#include "engine/mib.hpp"
#include "engine/segment.hpp"
#include "engine/time_wait.hpp"
#include "wire/ip_address.hpp"

namespace teardown::engine {

// What the application learns, as a socket's poll and errors would tell it.
struct AppEvent {
    // delivery_problem: R1 retransmissions went unanswered (RFC 1122 §4.2.3.5);
    // the connection carries on until R2, but the application may want to know.
    enum class Kind : std::uint8_t { connected, readable, writable, peer_closed, closed, error, delivery_problem };
    Kind kind{Kind::connected};
    Errno error{Errno::none};  // for Kind::error
    bool operator==(const AppEvent&) const = default;
};

// A byte count or an error, as read() and write() return them.
struct Io {
    std::size_t bytes{0};
    Errno error{Errno::none};
    bool ok() const { return error == Errno::none; }
};

// What the connections of one Stack share: its counters, and the budget
// of challenge ACKs all of them may send in a second (RFC 5961 §7).
struct StackShared {
    Mib mib;
    std::uint32_t challenge_ack_limit{0xFFFFFFFF};  // a second, the Stack's Config::challenge_ack_limit
    // Whether one more challenge ACK fits in this second's budget; counted
    // as sent or as skipped either way.
    bool take_challenge(Instant now) {
        if (challenge_second_.is_never() || now - challenge_second_ >= Duration::seconds(1)) {
            challenge_second_ = now;
            challenges_this_second_ = 0;
        }
        if (challenges_this_second_ >= challenge_ack_limit) {
            mib.add(Counter::ack_skipped_challenge);
            return false;
        }
        ++challenges_this_second_;
        mib.add(Counter::challenge_ack);
        return true;
    }

private:
    Instant challenge_second_{Instant::never()};  // when the current second began
    std::uint32_t challenges_this_second_{0};
};

class Tcb {
public:
    Tcb(Config config, wire::FourTuple tuple);
    // A fresh connection in this object, keeping the storage of its buffers
    // and output lists: a Stack recycles Tcbs so that a connection costs no
    // allocation it did not need last time.
    void reset(const Config& config, const wire::FourTuple& tuple);
    // Counts into, and rate-limits with, what a Stack's connections share;
    // a Tcb on its own counts nothing and has only its own limit.
    void share(StackShared* shared) { shared_ = shared; }

    // RFC 9293 §3.10.1, active OPEN: send SYN, enter SYN-SENT.
    void connect(Instant now, SeqNum iss);
    // A listener's SYN (RFC 9293 §3.10.7.2): send SYN-ACK, enter SYN-RECEIVED.
    void accept_syn(Instant now, const Segment& syn, SeqNum iss);

    Io send(Instant now, std::span<const std::byte> data);
    Io recv(std::span<std::byte> out);
    // Half-close (RFC 9293 §3.10.4 CLOSE on the sending side): FIN after the queued data.
    Errno shutdown_write(Instant now);
    // No more reading: unread and later data make the peer see RST (RFC 2525 §2.17).
    Errno shutdown_read(Instant now);
    // close(): FIN after the queued data, or RST when data is left unread.
    Errno close(Instant now);
    // close() with SO_LINGER {on, 0}: RST at once.
    // Linux counts it as TCPAbortOnData.
    Errno close_linger_zero(Instant now) {
        if (state_ != TcpState::closed && state_ != TcpState::syn_sent && state_ != TcpState::time_wait)
            count(Counter::abort_on_data);
        return abort(now);
    }
    // ABORT (RFC 9293 §3.10.5): RST when synchronized, then CLOSED.
    Errno abort(Instant now);
    // CLOSED at once and without a word to the peer: a half-open request a
    // listener under a SYN flood gives up (a RST would go to a forged address).
    void forget(Instant now, Cause cause);
    // What TIME-WAIT needs of this connection, for the Stack's TIME-WAIT table.
    TimeWait time_wait_record() const;

    // Socket options changed after the open (SO_KEEPALIVE, TCP_USER_TIMEOUT,
    // TCP_NODELAY, TCP_LINGER2, buffer sizes): they apply from now on.
    void reconfigure(Instant now, const Config& config);
    const Config& config() const { return config_; }

    void on_segment(Instant now, const Segment& seg);
    void on_timer(Instant now);
    Instant next_deadline() const;

    TcpState state() const { return state_; }
    const wire::FourTuple& tuple() const { return tuple_; }
    Errno error() const { return error_; }          // SO_ERROR
    std::size_t unread() const { return rcv_buf_.size(); }
    std::size_t unsent() const;
    bool orphaned() const { return app_closed_; }
    const AnomalySet& anomalies() const { return anomalies_; }

    // Outputs since the last take: the caller drains them after every call.
    std::vector<Segment> take_segments() { return std::exchange(out_, {}); }
    std::vector<StateChange> take_state_changes() { return std::exchange(changes_, {}); }
    std::vector<AppEvent> take_events() { return std::exchange(events_, {}); }
    // The same outputs in place, for a caller that moves them on and then
    // calls clear_outputs(), which keeps their storage.
    std::span<Segment> segments() { return out_; }
    std::span<const StateChange> state_changes() const { return changes_; }
    std::span<const AppEvent> events() const { return events_; }
    void clear_outputs() {
        out_.clear();
        changes_.clear();
        events_.clear();
    }

    SeqNum snd_una() const { return snd_una_; }
    SeqNum snd_nxt() const { return snd_nxt_; }
    SeqNum rcv_nxt() const { return rcv_nxt_; }
    Duration rto() const { return rto_; }
    bool window_scaling() const { return ws_ok_; }
    bool timestamps() const { return ts_ok_; }
    std::uint32_t snd_wnd() const { return snd_wnd_; }
    std::uint32_t cwnd() const { return cwnd_; }
    std::uint16_t snd_mss() const { return snd_mss_; }

private:
    void transition(TcpState to, Cause cause, Instant now);
    void emit(std::uint8_t flags, SeqNum seq, std::span<const std::byte> payload = {});
    void offer_options(wire::TcpOptions& options, const wire::TcpOptions* peer_syn) const;
    void accept_peer_options(const wire::TcpOptions& peer_syn);
    std::uint32_t peer_window(const wire::TcpRepr& t) const;
    std::uint32_t ts_val() const;
    void send_ack() { emit(wire::TcpFlags::ack, snd_nxt_); }
    void send_challenge_ack(Instant now);
    void count(Counter c) {
        if (shared_) shared_->mib.add(c);
    }
    void send_reset(Instant now, Cause cause);
    void output(Instant now);
    void retransmit(Instant now);
    void resend_first_unacked();
    void resend_from(SeqNum seq, std::uint32_t limit);
    std::vector<wire::SackBlock> sack_blocks() const;
    void note_sacks(const std::vector<wire::SackBlock>& blocks);
    bool resend_next_hole();
    void acknowledge_data(Instant now);
    void send_window_probe(Instant now);
    void arm_retransmit(Instant now);
    void clamp_to_user_timeout(Instant now);
    bool user_timeout_expired(Instant now) const;
    void keepalive(Instant now);
    void arm_keepalive(Instant now);
    bool keep_early(const Segment& seg);
    bool take_early();
    void on_syn_sent(Instant now, const Segment& seg);
    bool acceptable(const Segment& seg) const;
    std::uint32_t rcv_wnd() const;
    bool process_ack(Instant now, const Segment& seg);  // false: the segment is dropped
    void process_text_and_fin(Instant now, const Segment& seg);
    void enter_time_wait(Instant now, Cause cause);
    void enter_fin_wait_2(Instant now, Cause cause);
    void close_down(Instant now, Cause cause, Errno error);
    void fail(Errno e);
    bool fin_acked() const { return fin_sent_ && snd_una_ == snd_nxt_; }
    void update_rtt(Instant now, const wire::TcpRepr& ack);
    void sample_rtt(Duration r);
    bool paws_rejects(Instant now, const wire::TcpRepr& t) const;
    void remember_timestamp(Instant now, const wire::TcpRepr& t);

    Config config_;
    StackShared* shared_{nullptr};
    wire::FourTuple tuple_;
    TcpState state_{TcpState::closed};

    // RFC 9293 §3.3.1 send and receive sequence variables.
    SeqNum iss_;
    SeqNum snd_una_;
    SeqNum snd_nxt_;
    std::uint32_t snd_wnd_{0};
    std::uint16_t snd_mss_{536};  // the most we send in one segment: ours and the peer's MSS (RFC 9293 §3.7.1)
    SeqNum snd_wl1_;
    SeqNum snd_wl2_;
    SeqNum irs_;
    SeqNum rcv_nxt_;

    // RFC 7323, as negotiated on the SYNs.
    bool ws_ok_{false};
    bool sack_ok_{false};          // RFC 2018, agreed on the SYNs
    std::uint8_t snd_wscale_{0};   // the peer's shift, applied to the windows it sends
    std::uint8_t rcv_wscale_{0};   // ours, applied to the windows we send
    bool ts_ok_{false};
    std::uint32_t ts_recent_{0};   // the peer's latest TSval, echoed in TSecr
    Instant ts_recent_at_{};       // when TS.Recent was set (RFC 7323 §5.5: it goes stale after 24 days)
    SeqNum last_ack_sent_;         // RFC 7323 §4.3's Last.ACK.sent
    Instant clock_{};              // the time of the call being processed, for TSval
    wire::TcpOptions peer_syn_options_;  // what the peer's SYN offered, for our SYN-ACK

    // Bytes from SND.UNA (after the SYN) on: sent-unacknowledged, then unsent.
    ByteQueue snd_buf_;
    ByteQueue rcv_buf_;
    bool fin_queued_{false};   // the application has no more to send
    bool fin_sent_{false};     // our FIN has taken its sequence number
    bool peer_fin_{false};     // the peer's FIN has been received in order
    bool read_closed_{false};
    bool app_closed_{false};   // close() was called: an orphan the application no longer reads

    // RFC 6298 retransmission timer.
    Duration rto_;
    std::optional<Duration> srtt_;
    Duration rttvar_{};
    Instant rtx_deadline_{Instant::never()};
    std::uint32_t retransmits_{0};
    std::optional<std::pair<SeqNum, Instant>> rtt_probe_;  // Karn: only never-retransmitted segments
    Instant time_wait_deadline_{Instant::never()};
    Instant delack_deadline_{Instant::never()};
    Instant fin_wait_2_deadline_{Instant::never()};
    std::uint32_t segments_unacked_{0};   // in-order data segments not yet ACKed (delayed ACK)
    Instant persist_deadline_{Instant::never()};  // zero-window probe (RFC 9293 §3.8.6.1)
    std::uint32_t dupacks_{0};            // duplicate ACKs in a row (fast retransmit)
    Instant unacked_since_{Instant::never()};     // when the oldest unacknowledged segment went out
    Instant last_heard_{};                        // the peer's latest segment (keep-alive idle time)
    Instant keepalive_deadline_{Instant::never()};
    std::uint32_t keepalive_probes_{0};           // sent since the peer was last heard
    Instant last_challenge_{Instant::never()};    // our latest challenge ACK (its per-connection limit)
    std::uint32_t max_snd_wnd_{0};                // RFC 5961 §5's MAX.SND.WND
    // RFC 5681 congestion control.
    std::uint32_t cwnd_{0};
    std::uint32_t ssthresh_{0xFFFFFFFF};
    void on_loss(bool timeout);
    // RFC 6582 NewReno recovery: after three duplicate ACKs (fast) or a
    // retransmission timeout, until an ACK covers `recover_`.
    enum class Recovery : std::uint8_t { none, fast, timeout };
    Recovery recovery_{Recovery::none};
    SeqNum recover_;
    std::uint32_t partial_acks_{0};
    // RFC 2018 / RFC 6675 scoreboard: what the peer holds above SND.UNA
    // (sorted, disjoint), and how far this recovery has resent (HighRxt).
    std::vector<std::pair<SeqNum, SeqNum>> sacked_;
    SeqNum high_rxt_;
    void enter_fast_recovery();
    bool recover_on_ack(std::uint32_t acked);
    // Segments that arrived ahead of RCV.NXT, kept until the gap fills.
    struct Early {
        SeqNum seq;
        std::vector<std::byte> data;
    };
    std::vector<Early> early_;
    std::size_t early_bytes_{0};
    std::optional<SeqNum> early_fin_;     // where a FIN that came early stands

    Errno error_{Errno::none};
    AnomalySet anomalies_;
    std::vector<Segment> out_;
    std::vector<StateChange> changes_;
    std::vector<AppEvent> events_;
};

} // namespace teardown::engine
