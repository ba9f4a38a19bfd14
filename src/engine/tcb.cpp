#include "engine/tcb.hpp"

#include <algorithm>

namespace teardown::engine {

using wire::TcpFlags;

Tcb::Tcb(Config config, wire::FourTuple tuple)
    : config_{config}, tuple_{std::move(tuple)}, rto_{config.rto_initial}, cwnd_{config.initial_window(config.mss)} {}

void Tcb::reset(const Config& config, const wire::FourTuple& tuple) {
    ByteQueue snd = std::move(snd_buf_);
    ByteQueue rcv = std::move(rcv_buf_);
    std::vector<Segment> out = std::move(out_);
    std::vector<StateChange> changes = std::move(changes_);
    std::vector<AppEvent> events = std::move(events_);
    StackShared* shared = shared_;
    *this = Tcb{config, tuple};
    shared_ = shared;
    snd.clear();
    rcv.clear();
    clear_outputs();
    out.clear();
    changes.clear();
    events.clear();
    snd_buf_ = std::move(snd);
    rcv_buf_ = std::move(rcv);
    out_ = std::move(out);
    changes_ = std::move(changes);
    events_ = std::move(events);
}

// RFC 5681 §3.1 (timeout) and §3.2 (fast retransmit): halve what was in flight.
void Tcb::on_loss(bool timeout) {
    const auto flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
    ssthresh_ = std::max<std::uint32_t>(flight / 2, 2u * snd_mss_);
    cwnd_ = timeout ? snd_mss_ : ssthresh_;
}

// RFC 6582 §3.2 steps 2-3 (NewReno): remember how far we had sent, halve
// the window, resend the first unacknowledged segment, and inflate the window
// by the three segments the duplicates say have left the network.
void Tcb::enter_fast_recovery() {
    count(Counter::fast_retrans);
    recover_ = snd_nxt_ - 1u;
    on_loss(false);
    cwnd_ = ssthresh_ + 3u * snd_mss_;
    recovery_ = Recovery::fast;
    partial_acks_ = 0;
    high_rxt_ = snd_una_;
    resend_first_unacked();
}

// An ACK of new data (SND.UNA already moved): the window grows, or, in
// recovery, a partial ACK shows the next hole and its segment goes at once,
// one per round trip instead of one per timeout. Returns whether the
// retransmission timer restarts.
bool Tcb::recover_on_ack(std::uint32_t acked) {
    const bool partial = recovery_ != Recovery::none && !(recover_ < snd_una_);
    if (recovery_ == Recovery::fast) {
        if (partial) {
            // Step 5: deflate by what was acknowledged, add back one segment
            // if that was a segment or more, and resend the next hole. The
            // timer restarts on the first partial ACK only ("Impatient", §4).
            cwnd_ = (cwnd_ > acked ? cwnd_ - acked : 0) + (acked >= snd_mss_ ? snd_mss_ : 0);
            cwnd_ = std::max<std::uint32_t>(cwnd_, snd_mss_);
            // With SACK the segment at SND.UNA may have gone already this recovery: then the next hole.
            if (high_rxt_ <= snd_una_) resend_first_unacked();
            else if (sack_ok_) resend_next_hole();
            return partial_acks_++ == 0;
        }
        // Step 3, a full ACK: leave recovery with the window deflated to ssthresh (or less when little is in flight).
        const auto flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
        cwnd_ = std::min(ssthresh_, std::max<std::uint32_t>(flight, snd_mss_) + snd_mss_);
        recovery_ = Recovery::none;
        return true;
    }
    // RFC 5681 §3.1: slow start below ssthresh, then about one MSS per round trip.
    if (cwnd_ < ssthresh_) cwnd_ += std::min<std::uint32_t>(acked, snd_mss_);
    else cwnd_ += std::max<std::uint32_t>(1, std::uint32_t{snd_mss_} * snd_mss_ / cwnd_);
    if (recovery_ == Recovery::timeout) {
        // After a timeout everything sent before it is suspect: each ACK that
        // stops short of `recover` resends the next segment, as go-back-N
        // would, without resending what the peer already has.
        if (partial) resend_first_unacked();
        else recovery_ = Recovery::none;
    }
    return true;
}

// Every state change goes through here, so none happens silently (STYLE.md).
void Tcb::transition(TcpState to, Cause cause, Instant now) {
    if (to == state_) return;
    changes_.push_back(StateChange{state_, to, cause, now});
    if (to == TcpState::closed) {
        // RFC 4022's tcpAttemptFails and tcpEstabResets.
        if (state_ == TcpState::syn_sent || state_ == TcpState::syn_received) count(Counter::attempt_fails);
        if (state_ == TcpState::established || state_ == TcpState::close_wait) count(Counter::estab_resets);
    }
    state_ = to;
    if (to == TcpState::closed) events_.push_back({AppEvent::Kind::closed});
    if (to == TcpState::established) {
        last_heard_ = now;
        arm_keepalive(now);
    }
    if (to == TcpState::closed || to == TcpState::time_wait) keepalive_deadline_ = Instant::never();
}

void Tcb::reconfigure(Instant now, const Config& config) {
    const bool keepalive_changed = config.keepalive != config_.keepalive || config.keep_idle != config_.keep_idle;
    const bool linger2_changed = config.fin_wait_2_timeout != config_.fin_wait_2_timeout;
    const bool user_timeout_changed = config.user_timeout != config_.user_timeout;
    config_ = config;
    clock_ = now;
    if (keepalive_changed) {
        keepalive_deadline_ = Instant::never();
        // Linux counts the new idle time from the peer's latest segment.
        if (config_.keepalive) keepalive_deadline_ = std::max(now, last_heard_ + config_.keep_idle);
        if (!is_synchronized(state_) || state_ == TcpState::time_wait) keepalive_deadline_ = Instant::never();
    }
    if (linger2_changed && !fin_wait_2_deadline_.is_never()) fin_wait_2_deadline_ = now + config_.fin_wait_2_timeout;
    // The retransmission stays due when it was, only brought forward by a new user timeout.
    if (user_timeout_changed && !rtx_deadline_.is_never()) clamp_to_user_timeout(now);
    output(now);
}

void Tcb::arm_keepalive(Instant now) {
    keepalive_probes_ = 0;
    keepalive_deadline_ = config_.keepalive ? now + config_.keep_idle : Instant::never();
}

// RFC 1122 §4.2.3.6: probe an idle connection with a segment the peer must
// answer (one already acknowledged, SEG.SEQ = SND.UNA - 1, as Linux sends
// it); give up, as Linux does, with a RST and ETIMEDOUT after keep_count
// unanswered probes, or once the user timeout has passed with one out.
void Tcb::keepalive(Instant now) {
    keepalive_deadline_ = Instant::never();
    if (!config_.keepalive || !is_synchronized(state_) || state_ == TcpState::time_wait) return;
    if (snd_una_ != snd_nxt_ || unsent() > 0) {
        keepalive_deadline_ = now + config_.keep_idle;  // the retransmission timer watches this peer
        return;
    }
    const Duration idle = now - last_heard_;
    if (idle < config_.keep_idle && keepalive_probes_ == 0) {
        keepalive_deadline_ = last_heard_ + config_.keep_idle;
        return;
    }
    const bool given_up = config_.user_timeout > Duration::zero()
                              ? keepalive_probes_ > 0 && idle >= config_.user_timeout
                              : keepalive_probes_ >= config_.keep_count;
    if (given_up) {
        emit(TcpFlags::rst | TcpFlags::ack, snd_nxt_);
        close_down(now, Cause::keepalive_failed, Errno::etimedout);
        return;
    }
    emit(TcpFlags::ack, snd_una_ - 1u);
    count(Counter::keep_alive);
    ++keepalive_probes_;
    anomalies_.add(Anomaly::keepalive_probes);
    keepalive_deadline_ = now + config_.keep_interval;
}

void Tcb::emit(std::uint8_t flags, SeqNum seq, std::span<const std::byte> payload) {
    count(Counter::out_segs);
    if (flags & TcpFlags::rst) count(Counter::out_rsts);
    Segment& s = out_.emplace_back();
    s.src = tuple_.local.addr;
    s.dst = tuple_.remote.addr;
    s.tcp.src_port = tuple_.local.port;
    s.tcp.dst_port = tuple_.remote.port;
    s.tcp.seq = seq;
    s.tcp.flags = TcpFlags{flags};
    if (flags & TcpFlags::ack) {
        s.tcp.ack = rcv_nxt_;
        last_ack_sent_ = rcv_nxt_;
        segments_unacked_ = 0;  // whatever carries the ACK answers the delayed one
        delack_deadline_ = Instant::never();
    }
    if ((flags & TcpFlags::rst) == 0) {
        // RFC 7323 §2.2: the window of a SYN is never scaled.
        const std::uint32_t shift = (flags & TcpFlags::syn) || !ws_ok_ ? 0 : rcv_wscale_;
        s.tcp.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(rcv_wnd() >> shift, 65535));
        // RFC 7323 §3.2: once agreed, every segment but a RST carries timestamps.
        if (ts_ok_ && (flags & TcpFlags::syn) == 0) s.tcp.options.timestamps = wire::Timestamps{ts_val(), ts_recent_};
        if (sack_ok_ && (flags & (TcpFlags::syn | TcpFlags::ack)) == TcpFlags::ack && !early_.empty())
            s.tcp.options.sack_blocks = sack_blocks();
    }
    if (flags & TcpFlags::syn) offer_options(s.tcp.options, flags & TcpFlags::ack ? &peer_syn_options_ : nullptr);
    s.payload.assign(payload.begin(), payload.end());
}

std::uint32_t Tcb::ts_val() const { return static_cast<std::uint32_t>(clock_.nanos() / 1'000'000); }

// Our SYN offers what the config enables; our SYN-ACK only what the peer's SYN offered too.
void Tcb::offer_options(wire::TcpOptions& o, const wire::TcpOptions* peer_syn) const {
    o.mss = config_.mss;  // RFC 9293 §3.7.1: only on SYNs
    if (config_.window_scaling && (!peer_syn || peer_syn->window_scale)) o.window_scale = rcv_wscale_;
    if (config_.sack && (!peer_syn || peer_syn->sack_permitted)) o.sack_permitted = true;
    if (config_.timestamps && (!peer_syn || peer_syn->timestamps))
        o.timestamps = wire::Timestamps{ts_val(), peer_syn && peer_syn->timestamps ? peer_syn->timestamps->val : 0};
}

void Tcb::accept_peer_options(const wire::TcpOptions& peer) {
    // RFC 9293 §3.7.1: send no more than the peer's MSS; without the option,
    // assume 536 bytes (IPv4) or 1220 (IPv6).
    const std::uint16_t fallback = tuple_.remote.addr.is_v4() ? 536 : 1220;
    snd_mss_ = std::max<std::uint16_t>(std::min(config_.mss, peer.mss.value_or(fallback)), 64);
    cwnd_ = config_.initial_window(snd_mss_);
    ws_ok_ = config_.window_scaling && peer.window_scale.has_value();
    sack_ok_ = config_.sack && peer.sack_permitted;
    // RFC 7323 §2.3: a shift over 14 is taken as 14.
    snd_wscale_ = ws_ok_ ? std::min<std::uint8_t>(*peer.window_scale, 14) : 0;
    if (!ws_ok_) rcv_wscale_ = 0;
    ts_ok_ = config_.timestamps && peer.timestamps.has_value();
    if (ts_ok_) {
        ts_recent_ = peer.timestamps->val;
        ts_recent_at_ = clock_;
    }
}

std::uint32_t Tcb::peer_window(const wire::TcpRepr& t) const {
    return t.flags.syn_set() || !ws_ok_ ? t.window : std::uint32_t{t.window} << snd_wscale_;
}

std::size_t Tcb::unsent() const {
    std::uint32_t flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
    if (state_ == TcpState::syn_sent || state_ == TcpState::syn_received) flight = flight > 0 ? flight - 1 : 0;
    if (fin_sent_ && flight > 0) --flight;
    return snd_buf_.size() > flight ? snd_buf_.size() - flight : 0;
}

void Tcb::connect(Instant now, SeqNum iss) {
    clock_ = now;
    rcv_wscale_ = config_.window_scaling ? config_.window_shift() : 0;
    iss_ = iss;
    recover_ = iss;  // RFC 6582 §3.2 step 1
    high_rxt_ = iss;
    snd_una_ = iss;
    snd_nxt_ = iss + 1u;
    emit(TcpFlags::syn, iss_);
    transition(TcpState::syn_sent, Cause::app_connect, now);
    arm_retransmit(now);
    rtt_probe_ = std::pair{snd_nxt_, now};
}

void Tcb::accept_syn(Instant now, const Segment& syn, SeqNum iss) {
    clock_ = now;
    rcv_wscale_ = config_.window_scaling ? config_.window_shift() : 0;
    peer_syn_options_ = syn.tcp.options;
    accept_peer_options(syn.tcp.options);
    irs_ = syn.tcp.seq;
    rcv_nxt_ = irs_ + 1u;
    snd_wnd_ = syn.tcp.window;
    max_snd_wnd_ = snd_wnd_;
    snd_wl1_ = syn.tcp.seq;
    iss_ = iss;
    recover_ = iss;  // RFC 6582 §3.2 step 1
    high_rxt_ = iss;
    snd_una_ = iss;
    snd_nxt_ = iss + 1u;
    snd_wl2_ = iss;
    transition(TcpState::syn_received, Cause::recv_syn, now);
    emit(TcpFlags::syn | TcpFlags::ack, iss_);
    arm_retransmit(now);
    rtt_probe_ = std::pair{snd_nxt_, now};
}

Io Tcb::send(Instant now, std::span<const std::byte> data) {
    clock_ = now;
    switch (state_) {
    case TcpState::closed:
    case TcpState::listen:
        return {0, error_ != Errno::none ? error_ : Errno::enotconn};
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::close_wait:
        break;
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        return {0, Errno::epipe};
    }
    if (fin_queued_) return {0, Errno::epipe};
    const std::size_t room = config_.send_buffer - std::min<std::size_t>(snd_buf_.size(), config_.send_buffer);
    if (room == 0) return {0, Errno::eagain};
    const std::size_t n = std::min(room, data.size());
    snd_buf_.append(data.first(n));
    output(now);
    return {n, Errno::none};
}

Io Tcb::recv(std::span<std::byte> out) {
    if (!rcv_buf_.empty()) {
        const std::size_t n = std::min(out.size(), rcv_buf_.size());
        const auto bytes = rcv_buf_.view(0, n);
        std::copy(bytes.begin(), bytes.end(), out.begin());
        rcv_buf_.consume(n);
        return {n, Errno::none};
    }
    if (peer_fin_) return {0, Errno::none};  // end of stream
    if (error_ != Errno::none) return {0, error_};
    switch (state_) {
    case TcpState::closed:
    case TcpState::listen:
        return {0, Errno::enotconn};
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
        return {0, Errno::eagain};
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        return {0, Errno::none};
    }
    return {0, Errno::einval};
}

Errno Tcb::shutdown_write(Instant now) {
    clock_ = now;
    switch (state_) {
    case TcpState::closed:
    case TcpState::listen:
        return Errno::enotconn;
    case TcpState::syn_sent:
        // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB.
        close_down(now, Cause::app_shutdown_write, Errno::none);
        return Errno::none;
    case TcpState::syn_received:
    case TcpState::established:
        fin_queued_ = true;
        transition(TcpState::fin_wait_1, app_closed_ ? Cause::app_close : Cause::app_shutdown_write, now);
        output(now);
        return Errno::none;
    case TcpState::close_wait:
        fin_queued_ = true;
        transition(TcpState::last_ack, app_closed_ ? Cause::app_close : Cause::app_shutdown_write, now);
        output(now);
        return Errno::none;
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        return Errno::none;
    }
    return Errno::einval;
}

Errno Tcb::shutdown_read(Instant now) {
    clock_ = now;
    read_closed_ = true;
    if (!rcv_buf_.empty() && is_synchronized(state_)) {
        // RFC 2525 §2.17: data the application will never read is a reason to reset.
        anomalies_.add(Anomaly::unread_data_at_close);
        rcv_buf_.clear();
        count(Counter::abort_on_close);
        send_reset(now, Cause::app_close);
    }
    return Errno::none;
}

Errno Tcb::close(Instant now) {
    clock_ = now;
    app_closed_ = true;
    read_closed_ = true;
    if (state_ == TcpState::fin_wait_2 && fin_wait_2_deadline_.is_never()) {
        if (config_.fin_wait_2_timeout < Duration::zero()) {
            // TCP_LINGER2 < 0: an orphan does not wait in FIN-WAIT-2 at all (Linux).
            count(Counter::abort_on_linger);
            send_reset(now, Cause::app_close);
            return Errno::none;
        }
        fin_wait_2_deadline_ = now + config_.fin_wait_2_timeout;
    }
    if (!rcv_buf_.empty() && is_synchronized(state_)) {
        // RFC 9293 §3.10.4 and RFC 2525 §2.17: closing with unread data
        // resets, so the peer learns its data was not consumed.
        anomalies_.add(Anomaly::unread_data_at_close);
        rcv_buf_.clear();
        count(Counter::abort_on_close);
        send_reset(now, Cause::app_close);
        return Errno::none;
    }
    switch (state_) {
    case TcpState::closed:
        return Errno::none;
    case TcpState::listen:
    case TcpState::syn_sent:
        close_down(now, Cause::app_close, Errno::none);
        return Errno::none;
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::close_wait:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        return shutdown_write(now);
    }
    return Errno::einval;
}

Errno Tcb::abort(Instant now) {
    clock_ = now;
    switch (state_) {
    case TcpState::closed:
        return Errno::none;
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::time_wait:
        close_down(now, Cause::app_abort, Errno::none);
        return Errno::none;
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
        send_reset(now, Cause::app_abort);
        return Errno::none;
    }
    return Errno::einval;
}

void Tcb::forget(Instant now, Cause cause) {
    clock_ = now;
    close_down(now, cause, Errno::none);
}

TimeWait Tcb::time_wait_record() const {
    TimeWait tw;
    tw.set_tuple(tuple_);
    tw.deadline = time_wait_deadline_;
    tw.snd_nxt = snd_nxt_;
    tw.rcv_nxt = rcv_nxt_;
    tw.ts_recent = ts_recent_;
    const std::uint32_t shift = ws_ok_ ? rcv_wscale_ : 0;
    tw.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(rcv_wnd() >> shift, 65535));
    tw.wscale = shift & 0xF;
    if (ts_ok_) tw.flags |= TimeWait::k_timestamps;
    if (config_.rfc1337) tw.flags |= TimeWait::k_rfc1337;
    if (config_.rfc5961) tw.flags |= TimeWait::k_rfc5961;
    if (config_.drop_without_timestamps) tw.flags |= TimeWait::k_drop_without_timestamps;
    return tw;
}

// RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>, then CLOSED.
void Tcb::send_reset(Instant now, Cause cause) {
    emit(TcpFlags::rst | TcpFlags::ack, snd_nxt_);
    close_down(now, cause, Errno::none);
}

// RFC 5961 §7: a challenge ACK goes out at most once per connection per
// interval and within the Stack's budget per second, so that forged
// segments cannot turn us into an ACK amplifier or, through a shared
// counter, a side channel; those held back are counted.
void Tcb::send_challenge_ack(Instant now) {
    anomalies_.add(Anomaly::challenge_ack);
    if (!last_challenge_.is_never() && now - last_challenge_ < config_.challenge_ack_interval) {
        count(Counter::ack_skipped_challenge);
        return;
    }
    if (shared_ && !shared_->take_challenge(now)) return;
    last_challenge_ = now;
    send_ack();
}

void Tcb::close_down(Instant now, Cause cause, Errno error) {
    if (error != Errno::none) fail(error);
    if (cause == Cause::recv_rst) count(Counter::in_rsts);
    if (error == Errno::etimedout && is_synchronized(state_)) count(Counter::abort_on_timeout);
    rtx_deadline_ = Instant::never();
    time_wait_deadline_ = Instant::never();
    delack_deadline_ = Instant::never();
    persist_deadline_ = Instant::never();
    fin_wait_2_deadline_ = Instant::never();
    keepalive_deadline_ = Instant::never();
    snd_buf_.clear();
    transition(TcpState::closed, cause, now);
}

void Tcb::fail(Errno e) {
    error_ = e;
    events_.push_back({AppEvent::Kind::error, e});
}

// An orphan does not wait for ever for a peer that never closes.
void Tcb::enter_fin_wait_2(Instant now, Cause cause) {
    if (app_closed_ && config_.fin_wait_2_timeout < Duration::zero()) {
        count(Counter::abort_on_data);  // TCP_LINGER2 < 0: Linux counts this one here
        send_reset(now, Cause::app_close);
        return;
    }
    transition(TcpState::fin_wait_2, cause, now);
    if (app_closed_) fin_wait_2_deadline_ = now + config_.fin_wait_2_timeout;
}

void Tcb::enter_time_wait(Instant now, Cause cause) {
    transition(TcpState::time_wait, cause, now);
    fin_wait_2_deadline_ = Instant::never();
    rtx_deadline_ = Instant::never();
    delack_deadline_ = Instant::never();
    persist_deadline_ = Instant::never();
    snd_buf_.clear();
    time_wait_deadline_ = now + config_.time_wait();
}

// Sends what the window allows, then the FIN once every queued byte has gone
// (RFC 9293 §3.10.4: the FIN follows all data sent before the CLOSE).
void Tcb::output(Instant now) {
    switch (state_) {
    case TcpState::established:
    case TcpState::close_wait:
    case TcpState::fin_wait_1:
    case TcpState::last_ack:
        break;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::time_wait:
        return;
    }
    if (fin_sent_) return;
    for (;;) {
        const auto flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
        const std::size_t unsent_bytes = snd_buf_.size() - flight;
        // RFC 5681: what the peer offers, and what the path has shown it carries.
        const std::uint32_t window = std::min(snd_wnd_, cwnd_);
        const std::size_t usable = window > flight ? window - flight : 0;
        std::size_t len = std::min({static_cast<std::size_t>(snd_mss_), unsent_bytes, usable});
        // The congestion window counts whole segments (as Linux's does): room
        // for half a segment waits for the next ACK rather than sending a
        // runt (RFC 9293 §3.8.6.2.1, sender-side silly window avoidance).
        const std::size_t path_room = cwnd_ > flight ? cwnd_ - flight : 0;
        if (path_room < std::min<std::size_t>(snd_mss_, unsent_bytes)) len = 0;
        const bool last = len == unsent_bytes;
        if (len == 0 && !(fin_queued_ && unsent_bytes == 0)) {
            // A zero window with data waiting and nothing in flight to bring an
            // ACK: probe it when the persist timer fires (RFC 9293 §3.8.6.1).
            if (unsent_bytes > 0 && flight == 0 && snd_wnd_ == 0 && persist_deadline_.is_never())
                persist_deadline_ = now + rto_;
            return;
        }
        // Nagle (RFC 9293 §3.7.4): while data is unacknowledged, send only full
        // segments; the last bytes before a FIN go anyway.
        if (config_.nagle && len < snd_mss_ && flight > 0 && !(fin_queued_ && last)) return;
        const auto chunk = snd_buf_.view(flight, len);
        std::uint8_t flags = TcpFlags::ack;
        if (len > 0 && last) flags |= TcpFlags::psh;
        if (fin_queued_ && last) {
            flags |= TcpFlags::fin;
            fin_sent_ = true;
        }
        emit(flags, snd_nxt_, chunk);
        snd_nxt_ += static_cast<std::uint32_t>(len) + (fin_sent_ ? 1u : 0u);
        if (rtx_deadline_.is_never()) arm_retransmit(now);
        if (!rtt_probe_) rtt_probe_ = std::pair{snd_nxt_, now};
        if (fin_sent_ || last) return;
    }
}

// Sent data again from `seq` (at or above SND.UNA): at most `limit` bytes
// and one segment, with the FIN if it reaches the end.
void Tcb::resend_from(SeqNum seq, std::uint32_t limit) {
    const auto data_end = snd_nxt_ - (fin_sent_ ? 1u : 0u);
    const auto offset = static_cast<std::size_t>(seq - snd_una_);
    const auto left = static_cast<std::uint32_t>(data_end - seq);
    const std::uint32_t len = std::min({std::uint32_t{snd_mss_}, limit, left});
    std::uint8_t flags = TcpFlags::ack;
    if (len == left && fin_sent_) flags |= TcpFlags::fin;
    // PSH, as on the first sending, when it carries the last byte the application wrote.
    if (len > 0 && offset + len == snd_buf_.size()) flags |= TcpFlags::psh;
    if (flags & TcpFlags::fin) anomalies_.add(Anomaly::fin_retransmitted);
    count(Counter::retrans_segs);
    emit(flags, seq, snd_buf_.view(offset, len));
    if (high_rxt_ < seq + len) high_rxt_ = seq + len;
}

namespace {
// Takes every range that touches or overlaps `r` out of `ranges` (kept
// disjoint) and returns `r` widened to cover them: SACK blocks are maximal.
template <typename Range>
Range absorb_touching(std::vector<Range>& ranges, Range r, SeqNum Range::*left, SeqNum Range::*right) {
    for (auto it = ranges.begin(); it != ranges.end();) {
        if ((*it).*left <= r.*right && r.*left <= (*it).*right) {
            r.*left = std::min(r.*left, (*it).*left);
            r.*right = std::max(r.*right, (*it).*right);
            it = ranges.erase(it);
        } else {
            ++it;
        }
    }
    return r;
}
} // namespace

// RFC 2018 §4: the blocks of out-of-order data we hold, the one holding the
// latest arrival first, then the others by how recently they grew; three
// fit beside timestamps, four without.
std::vector<wire::SackBlock> Tcb::sack_blocks() const {
    struct Range {
        SeqNum left;
        SeqNum right;
        std::size_t latest;  // index in early_ of the newest arrival inside
    };
    std::vector<Range> ranges;
    for (std::size_t i = 0; i < early_.size(); ++i) {
        const Range r{early_[i].seq, early_[i].seq + static_cast<std::uint32_t>(early_[i].data.size()), i};
        ranges.push_back(absorb_touching(ranges, r, &Range::left, &Range::right));
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.latest > b.latest; });
    const std::size_t room = ts_ok_ ? 3 : 4;
    std::vector<wire::SackBlock> blocks;
    for (const Range& r : ranges) {
        if (blocks.size() == room) break;
        if (r.right <= rcv_nxt_) continue;
        blocks.push_back({std::max(r.left, rcv_nxt_), r.right});
    }
    return blocks;
}

// The peer's SACK blocks into the scoreboard. A block outside what we have
// sent and not yet had acknowledged is ignored (a confused or lying peer).
void Tcb::note_sacks(const std::vector<wire::SackBlock>& blocks) {
    for (const auto& b : blocks) {
        if (!(b.left < b.right) || !(snd_una_ < b.right) || snd_nxt_ < b.right) continue;
        using Range = std::pair<SeqNum, SeqNum>;
        const Range r = absorb_touching(sacked_, Range{std::max(b.left, snd_una_), b.right}, &Range::first, &Range::second);
        sacked_.insert(std::upper_bound(sacked_.begin(), sacked_.end(), r,
                                        [](const auto& x, const auto& y) { return x.first < y.first; }),
                       r);
    }
}

// RFC 6675 §4-5, simplified: the first stretch above what this recovery
// has already resent that the peer lacks while holding data beyond it is
// taken for lost and resent, one segment at a time.
bool Tcb::resend_next_hole() {
    SeqNum from = std::max(snd_una_, high_rxt_);
    for (const auto& [left, right] : sacked_) {
        if (from < left) {
            resend_from(from, static_cast<std::uint32_t>(left - from));
            return true;
        }
        if (from < right) from = right;
    }
    return false;
}

// The earliest unacknowledged segment again: SYN, SYN-ACK, or data and FIN from SND.UNA.
void Tcb::resend_first_unacked() {
    switch (state_) {
    case TcpState::syn_sent:
        count(Counter::retrans_segs);
        count(Counter::syn_retrans);
        emit(TcpFlags::syn, iss_);
        return;
    case TcpState::syn_received:
        count(Counter::retrans_segs);
        count(Counter::syn_retrans);
        emit(TcpFlags::syn | TcpFlags::ack, iss_);
        return;
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
        resend_from(snd_una_, snd_mss_);
        return;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::fin_wait_2:
    case TcpState::time_wait:
        return;
    }
}

// RFC 6298 §5.4-5.6: resend the earliest unacknowledged segment, back off, restart.
void Tcb::retransmit(Instant now) {
    if (snd_una_ == snd_nxt_ || state_ == TcpState::fin_wait_2 || state_ == TcpState::time_wait) {
        rtx_deadline_ = Instant::never();
        unacked_since_ = Instant::never();
        return;
    }
    if (user_timeout_expired(now)) {
        close_down(now, Cause::user_timeout, Errno::etimedout);
        return;
    }
    // RFC 1122 §4.2.3.5: past R2 the peer is taken for gone and the connection
    // closed. An orphan's FIN has its own, usually shorter, limit: no
    // application waits for it, and it holds memory for nobody.
    const bool opening = state_ == TcpState::syn_sent || state_ == TcpState::syn_received;
    const bool orphan_fin = app_closed_ && fin_sent_;
    const std::uint32_t r2 = opening ? config_.syn_retries : orphan_fin ? config_.orphan_retries : config_.data_retries;
    if (retransmits_ >= r2) {
        close_down(now, Cause::retransmit_limit, Errno::etimedout);
        return;
    }
    ++retransmits_;
    count(Counter::timeouts);
    // R1: the peer has not answered for a while; say so once, and go on.
    if (retransmits_ == config_.retries1) {
        count(Counter::retransmit_advice);
        events_.push_back({AppEvent::Kind::delivery_problem});
    }
    if (is_synchronized(state_)) {
        if (retransmits_ == 1) on_loss(true);
        // RFC 6582 §3.2: after a timeout, `recover` is the highest sequence number sent.
        recover_ = snd_nxt_ - 1u;
        recovery_ = Recovery::timeout;
        high_rxt_ = snd_una_;
        sacked_.clear();  // RFC 2018 §8: the receiver may have reneged
    }
    rto_ = std::min(rto_ * 2, config_.rto_max);
    rtt_probe_.reset();  // Karn: no RTT sample from a retransmitted segment
    resend_first_unacked();
    arm_retransmit(now);
}

// RFC 6298 §5.1: the timer runs while anything is unacknowledged; RFC 9293
// §3.8.3's user timeout cuts it short so the give-up happens on time.
void Tcb::arm_retransmit(Instant now) {
    if (unacked_since_.is_never()) unacked_since_ = now;
    rtx_deadline_ = now + rto_;
    clamp_to_user_timeout(now);
}

void Tcb::clamp_to_user_timeout(Instant now) {
    if (config_.user_timeout > Duration::zero() && !unacked_since_.is_never())
        rtx_deadline_ = std::min(rtx_deadline_, std::max(now, unacked_since_ + config_.user_timeout));
}

bool Tcb::user_timeout_expired(Instant now) const {
    return config_.user_timeout > Duration::zero() && !unacked_since_.is_never() &&
           now - unacked_since_ >= config_.user_timeout;
}

// One byte beyond a zero window: its ACK brings the window's news (RFC 9293 §3.8.6.1).
// From then on the retransmission timer repeats it, backing off.
void Tcb::send_window_probe(Instant now) {
    const auto flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
    if (snd_buf_.size() <= flight) return;
    emit(TcpFlags::ack, snd_nxt_, snd_buf_.view(flight, 1));
    snd_nxt_ += 1u;
    // The persist timer's expiry backs off like the retransmission timer's (RFC 1122 §4.2.2.17).
    rto_ = std::min(rto_ * 2, config_.rto_max);
    if (rtx_deadline_.is_never()) arm_retransmit(now);
}

// Seventh step's ACK for in-order data: at once, or delayed (RFC 9293 §3.8.6.3):
// every second segment, and never later than the configured delay.
void Tcb::acknowledge_data(Instant now) {
    if (config_.delayed_ack == Duration::zero() || ++segments_unacked_ >= 2) {
        send_ack();
        return;
    }
    if (delack_deadline_.is_never()) delack_deadline_ = now + config_.delayed_ack;
}

void Tcb::on_timer(Instant now) {
    clock_ = now;
    if (time_wait_deadline_ <= now) {
        time_wait_deadline_ = Instant::never();
        transition(TcpState::closed, Cause::timer_2msl, now);
        return;
    }
    if (fin_wait_2_deadline_ <= now) {
        close_down(now, Cause::timer_fin_wait_2, Errno::none);
        return;
    }
    if (delack_deadline_ <= now) send_ack();
    if (persist_deadline_ <= now) {
        persist_deadline_ = Instant::never();
        send_window_probe(now);
    }
    if (rtx_deadline_ <= now) retransmit(now);
    if (keepalive_deadline_ <= now) keepalive(now);
}

Instant Tcb::next_deadline() const {
    return std::min({rtx_deadline_, time_wait_deadline_, delack_deadline_, persist_deadline_, fin_wait_2_deadline_,
                     keepalive_deadline_});
}

// An ACK of new data times a round trip. With timestamps every such ACK
// does, retransmissions included: TSecr names the copy that arrived (RFC 7323
// §4.1). Without them only a segment never retransmitted may (Karn's rule,
// RFC 6298 §3).
void Tcb::update_rtt(Instant now, const wire::TcpRepr& t) {
    if (ts_ok_ && t.options.timestamps && t.options.timestamps->ecr != 0) {
        rtt_probe_.reset();
        const std::uint32_t elapsed_ms = ts_val() - t.options.timestamps->ecr;
        // An echo from the future, or from before the wheel of TSvals turned, says nothing (RFC 7323 §4.1 and Linux's check).
        if (elapsed_ms < 0x80000000u && Duration::millis(elapsed_ms) <= config_.rto_max) sample_rtt(Duration::millis(elapsed_ms));
        return;
    }
    if (!rtt_probe_ || t.ack < rtt_probe_->first) return;
    const Duration r = now - rtt_probe_->second;
    rtt_probe_.reset();
    sample_rtt(r);
}

void Tcb::sample_rtt(Duration r) {
    // RFC 6298 §2.2-2.3, alpha = 1/8, beta = 1/4, K = 4.
    if (!srtt_) {
        srtt_ = r;
        rttvar_ = r / 2;
    } else {
        const Duration diff = *srtt_ > r ? *srtt_ - r : r - *srtt_;
        rttvar_ = (rttvar_ * 3 + diff) / 4;
        srtt_ = (*srtt_ * 7 + r) / 8;
    }
    rto_ = std::clamp(*srtt_ + std::max(Duration::millis(1), rttvar_ * 4), config_.rto_min, config_.rto_max);
}

// RFC 7323 §5.3 R1, PAWS: a segment whose TSval is older than TS.Recent is
// an old duplicate, whatever its sequence number says after 2^32 bytes have
// wrapped. A RST is exempt (RFC 7323 §5.3 and Linux), and a TS.Recent not
// refreshed for 24 days is too old to compare with (§5.5).
bool Tcb::paws_rejects(Instant now, const wire::TcpRepr& t) const {
    if (!ts_ok_ || !t.options.timestamps || t.flags.rst_set()) return false;
    if (now - ts_recent_at_ > Duration::seconds(24LL * 24 * 3600)) return false;
    return static_cast<std::int32_t>(t.options.timestamps->val - ts_recent_) < 0;
}

// RFC 7323 §4.3 (3) and §5.3 R3: TS.Recent follows the segment that covers
// Last.ACK.sent, so the TSecr we send times the whole round trip, delayed ACK included.
void Tcb::remember_timestamp(Instant now, const wire::TcpRepr& t) {
    if (!ts_ok_ || !t.options.timestamps || last_ack_sent_ < t.seq) return;
    if (static_cast<std::int32_t>(t.options.timestamps->val - ts_recent_) < 0) return;
    ts_recent_ = t.options.timestamps->val;
    ts_recent_at_ = now;
}

// RFC 9293 §3.10.7.3, SYN-SENT.
void Tcb::on_syn_sent(Instant now, const Segment& seg) {
    const auto& t = seg.tcp;
    const bool ack_ok = t.flags.ack_set() && snd_una_ < t.ack && t.ack <= snd_nxt_;
    if (t.flags.ack_set() && !ack_ok) {
        if (!t.flags.rst_set()) emit(TcpFlags::rst, t.ack);
        return;
    }
    if (t.flags.rst_set()) {
        if (ack_ok) close_down(now, Cause::recv_rst, Errno::econnrefused);
        return;
    }
    if (!t.flags.syn_set()) return;
    irs_ = t.seq;
    rcv_nxt_ = t.seq + 1u;
    accept_peer_options(t.options);
    peer_syn_options_ = t.options;
    snd_wnd_ = t.window;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = t.seq;
    snd_wl2_ = t.ack;
    if (ack_ok) {
        update_rtt(now, t);
        snd_una_ = t.ack;
        rtx_deadline_ = Instant::never();
        retransmits_ = 0;
        transition(TcpState::established, Cause::recv_syn_ack, now);
        events_.push_back({AppEvent::Kind::connected});
        events_.push_back({AppEvent::Kind::writable});
        send_ack();
        output(now);
    } else {
        // Simultaneous open: both SYNs crossed (RFC 9293 §3.5, figure 7).
        transition(TcpState::syn_received, Cause::recv_syn, now);
        emit(TcpFlags::syn | TcpFlags::ack, iss_);
    }
}

// RCV.WND: the room left in the receive buffer, as the window field can say
// it: 16 bits, shifted by our scale once RFC 7323 window scaling is agreed
// (rounded down, so we never offer more than we have).
std::uint32_t Tcb::rcv_wnd() const {
    const std::size_t room = config_.receive_buffer - std::min<std::size_t>(rcv_buf_.size(), config_.receive_buffer);
    // RFC 7323 §2.2: the window a SYN or SYN-ACK offers is never scaled, and
    // until the handshake completes that is the window the peer knows.
    const std::uint32_t shift = ws_ok_ && is_synchronized(state_) ? rcv_wscale_ : 0;
    const std::size_t field = std::min<std::size_t>(room >> shift, 65535);
    return static_cast<std::uint32_t>(field << shift);
}

// RFC 9293 §3.10.7.4, first: the receive window test.
bool Tcb::acceptable(const Segment& seg) const {
    const std::uint32_t wnd = rcv_wnd();
    const std::uint32_t len = seg.seq_len();
    const SeqNum seq = seg.tcp.seq;
    if (len == 0) return wnd == 0 ? seq == rcv_nxt_ : seq.in_range(rcv_nxt_, rcv_nxt_ + wnd);
    if (wnd == 0) return false;
    return seq.in_range(rcv_nxt_, rcv_nxt_ + wnd) || (seq + (len - 1)).in_range(rcv_nxt_, rcv_nxt_ + wnd);
}

void Tcb::on_segment(Instant now, const Segment& seg) {
    clock_ = now;
    const auto& t = seg.tcp;
    if (is_synchronized(state_) && ts_ok_ && !t.flags.rst_set()) {
        if (!t.options.timestamps && config_.drop_without_timestamps) return;  // RFC 7323 §3.2
        if (paws_rejects(now, t)) {
            // An old duplicate: ACK so that a live peer learns where we are, then drop it.
            count(Counter::paws_estab);
            if (state_ == TcpState::time_wait) {
                anomalies_.add(Anomaly::late_segment_after_close);
                count(Counter::time_wait_late);
            }
            send_ack();
            return;
        }
    }
    if (is_synchronized(state_) && state_ != TcpState::time_wait && !t.flags.rst_set()) {
        last_heard_ = now;  // the peer is alive: keep-alive's idle time starts over
        if (config_.keepalive) arm_keepalive(now);
    }
    switch (state_) {
    case TcpState::closed:
    case TcpState::listen:
        return;  // the Stack answers segments for no connection
    case TcpState::syn_sent:
        on_syn_sent(now, seg);
        return;
    case TcpState::time_wait:
        // RFC 9293 §3.10.7.4, eighth: a retransmitted FIN (its ACK was lost)
        // is ACKed again and the 2 MSL wait starts over.
        if (t.flags.fin_set() && !t.flags.rst_set() && t.seq + static_cast<std::uint32_t>(seg.payload.size()) + 1u == rcv_nxt_) {
            remember_timestamp(now, t);  // the new ACK echoes this copy's TSval
            send_ack();
            time_wait_deadline_ = now + config_.time_wait();
            return;
        }
        break;
    case TcpState::syn_received:
        // Simultaneous open (RFC 9293 §3.5, figure 7): the peer's SYN-ACK
        // repeats its SYN, so it fails the window test, yet its ACK of our SYN
        // is what completes the open.
        if (t.flags.syn_set() && t.flags.ack_set() && !t.flags.rst_set() && t.seq == irs_ && snd_una_ < t.ack &&
            t.ack <= snd_nxt_) {
            snd_una_ = t.ack;
            snd_wnd_ = t.window;
            max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
            snd_wl1_ = t.seq;
            snd_wl2_ = t.ack;
            rtx_deadline_ = Instant::never();
            transition(TcpState::established, Cause::recv_syn_ack, now);
            events_.push_back({AppEvent::Kind::connected});
            events_.push_back({AppEvent::Kind::writable});
            output(now);
            return;
        }
        break;
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
        break;
    }

    if (!acceptable(seg)) {
        if (!t.flags.rst_set()) send_ack();
        return;
    }
    remember_timestamp(now, t);

    // Second: RST. Only one at exactly RCV.NXT resets; one merely in the
    // window gets a challenge ACK (RFC 9293 §3.10.7.4, after RFC 5961 §3).
    if (t.flags.rst_set()) {
        if (t.seq != rcv_nxt_) {
            anomalies_.add(Anomaly::rst_in_window_inexact);
            if (config_.rfc5961) {
                send_challenge_ack(now);
                return;
            }
            // RFC 793 §3.4: any RST in the window resets (the blind-reset hazard RFC 5961 closes).
        }
        switch (state_) {
        case TcpState::syn_received:
            close_down(now, Cause::recv_rst, Errno::econnrefused);
            return;
        case TcpState::established:
        case TcpState::fin_wait_1:
        case TcpState::fin_wait_2:
        case TcpState::close_wait:
            if (snd_una_ != snd_nxt_) anomalies_.add(Anomaly::unacked_data_at_reset);
            close_down(now, Cause::recv_rst, Errno::econnreset);
            return;
        case TcpState::time_wait:
            anomalies_.add(Anomaly::rst_in_time_wait);
            if (config_.rfc1337) return;  // RFC 1337 §3: ignore it and let 2 MSL run out
            count(Counter::tw_killed);
            close_down(now, Cause::recv_rst, Errno::none);
            return;
        case TcpState::closing:
        case TcpState::last_ack:
            close_down(now, Cause::recv_rst, Errno::none);
            return;
        case TcpState::closed:
        case TcpState::listen:
        case TcpState::syn_sent:
            return;
        }
    }

    // Fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4);
    // under RFC 793 §3.9 it resets the connection.
    if (t.flags.syn_set()) {
        if (!config_.rfc5961) {
            emit(TcpFlags::rst, t.flags.ack_set() ? t.ack : snd_nxt_);
            close_down(now, Cause::recv_syn, Errno::econnreset);
            return;
        }
        count(Counter::syn_challenge);
        send_challenge_ack(now);
        return;
    }

    // Fifth: the ACK field.
    if (!t.flags.ack_set()) return;
    if (!process_ack(now, seg)) return;
    switch (state_) {
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
        return;
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        break;
    }
    process_text_and_fin(now, seg);
    output(now);
}

bool Tcb::process_ack(Instant now, const Segment& seg) {
    const auto& t = seg.tcp;
    if (state_ == TcpState::syn_received) {
        if (!(snd_una_ < t.ack && t.ack <= snd_nxt_)) {
            emit(TcpFlags::rst, t.ack);  // RFC 9293 §3.10.7.4: an unacceptable ACK in SYN-RECEIVED
            return false;
        }
        transition(TcpState::established, Cause::recv_ack, now);
        events_.push_back({AppEvent::Kind::connected});
        events_.push_back({AppEvent::Kind::writable});
        snd_wnd_ = peer_window(t);
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = t.seq;
        snd_wl2_ = t.ack;
    }
    // RFC 5961 §5 (RFC 9293 §3.10.7.4, fifth): only an ACK within
    // [SND.UNA - MAX.SND.WND, SND.NXT] can come from the peer. One beyond
    // SND.NXT acknowledges what we never sent; one further back than any
    // window the peer ever offered is a blind guess. Either way the segment,
    // data and all, is dropped and answered with a (rate-limited) ACK.
    if (t.ack > snd_nxt_ || t.ack < snd_una_ - max_snd_wnd_) {
        send_challenge_ack(now);
        return false;
    }
    if (sack_ok_) note_sacks(t.options.sack_blocks);
    // RFC 5681 §3.2: the third duplicate ACK in a row says a segment was lost
    // while later ones arrived; resend it now rather than wait for the timer.
    const bool duplicate = t.ack == snd_una_ && snd_una_ != snd_nxt_ && seg.payload.empty() && !t.flags.fin_set() &&
                           peer_window(t) == snd_wnd_;
    if (duplicate) {
        ++dupacks_;
        // RFC 6582 §3.2 step 4: in fast recovery each duplicate is a segment
        // that left the network, room for one more.
        // With SACK the room goes first to the next hole the peer reports.
        if (recovery_ == Recovery::fast) {
            if (!(sack_ok_ && resend_next_hole())) cwnd_ += snd_mss_;
        }
        // Step 2: only when the ACK covers more than `recover`, so losses
        // already being repaired do not halve the window again.
        else if (dupacks_ == 3 && recover_ < t.ack) enter_fast_recovery();
    } else if (snd_una_ < t.ack) {
        dupacks_ = 0;
    }
    if (snd_una_ < t.ack) {
        std::uint32_t acked = static_cast<std::uint32_t>(t.ack - snd_una_);
        if (state_ == TcpState::established && snd_una_ == iss_) --acked;  // our SYN, acknowledged just now
        const std::size_t data = std::min<std::size_t>(acked, snd_buf_.size());
        snd_buf_.consume(data);
        update_rtt(now, t);
        snd_una_ = t.ack;
        std::erase_if(sacked_, [this](const auto& r) { return r.second <= snd_una_; });
        if (!sacked_.empty() && sacked_.front().first < snd_una_) sacked_.front().first = snd_una_;
        retransmits_ = 0;
        unacked_since_ = Instant::never();
        const bool rearm = recover_on_ack(acked);
        if (snd_una_ == snd_nxt_) rtx_deadline_ = Instant::never();
        else if (rearm) arm_retransmit(now);
        else unacked_since_ = now;
        if (data > 0) events_.push_back({AppEvent::Kind::writable});
    }
    // RFC 9293 §3.10.7.4: update the send window from the newest segment only.
    if (snd_wl1_ < t.seq || (snd_wl1_ == t.seq && snd_wl2_ <= t.ack)) {
        snd_wnd_ = peer_window(t);
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = t.seq;
        snd_wl2_ = t.ack;
        if (snd_wnd_ > 0) persist_deadline_ = Instant::never();
    }
    // The FIN will be taken in the FIN step when nothing is missing before it.
    const bool fin_in_order = t.flags.fin_set() && t.seq <= rcv_nxt_;
    switch (state_) {
    case TcpState::fin_wait_1:
        // A FIN riding on the ACK of ours moves straight to TIME-WAIT in the FIN step.
        if (fin_acked() && !fin_in_order) enter_fin_wait_2(now, Cause::recv_ack);
        break;
    case TcpState::closing:
        if (fin_acked()) enter_time_wait(now, Cause::recv_ack);
        break;
    case TcpState::last_ack:
        if (fin_acked()) close_down(now, Cause::recv_ack, Errno::none);
        break;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::established:
    case TcpState::fin_wait_2:
    case TcpState::close_wait:
    case TcpState::time_wait:
        break;
    }
    return true;
}

// Keeps a segment that arrived ahead of a gap, within the receive window.
bool Tcb::keep_early(const Segment& seg) {
    const auto& t = seg.tcp;
    if (read_closed_ || (seg.payload.empty() && !t.flags.fin_set())) return false;
    if (early_bytes_ + seg.payload.size() > rcv_wnd()) return false;
    if (!seg.payload.empty()) {
        early_.push_back({t.seq, seg.payload});
        early_bytes_ += seg.payload.size();
    }
    if (t.flags.fin_set()) early_fin_ = t.seq + static_cast<std::uint32_t>(seg.payload.size());
    return true;
}

// Moves kept segments that now join RCV.NXT into the receive buffer; true if any did.
bool Tcb::take_early() {
    bool took = false;
    for (bool progress = true; progress;) {
        progress = false;
        for (auto it = early_.begin(); it != early_.end(); ++it) {
            const SeqNum end = it->seq + static_cast<std::uint32_t>(it->data.size());
            if (it->seq > rcv_nxt_) continue;
            if (end > rcv_nxt_) {
                const auto skip = static_cast<std::size_t>(rcv_nxt_ - it->seq);
                rcv_buf_.append(std::span{it->data}.subspan(skip));
                rcv_nxt_ = end;
                took = true;
            }
            early_bytes_ -= it->data.size();
            early_.erase(it);
            progress = true;
            break;
        }
    }
    return took;
}

namespace {
// RFC 9293 §3.10.7.4, sixth step: only these states take the peer's text;
// after its FIN (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT) there is none.
bool takes_text(TcpState s) {
    switch (s) {
    case TcpState::established:
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
        return true;
    case TcpState::closed:
    case TcpState::listen:
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
        return false;
    }
    return false;
}
} // namespace

void Tcb::process_text_and_fin(Instant now, const Segment& seg) {
    const auto& t = seg.tcp;
    bool need_ack = false;  // at once
    bool data_taken = false;  // in-order data: at once or delayed
    // Sixth and seventh: the text.
    std::size_t skip = 0;
    if (t.seq < rcv_nxt_) skip = static_cast<std::size_t>(rcv_nxt_ - t.seq);
    if (t.seq > rcv_nxt_) {
        // Out of order: keep it for when the gap fills, and say at once where
        // we are; the duplicate ACK tells the sender a segment is missing (RFC 5681 §4.2).
        if (takes_text(state_)) keep_early(seg);
        send_ack();
        return;
    }
    const std::size_t have = seg.payload.size() > skip ? seg.payload.size() - skip : 0;
    if (have > 0 && takes_text(state_)) {
        if (read_closed_) {
            // RFC 9293 §3.10.7.4 and RFC 2525 §2.17: nobody will read it; the peer must know.
            anomalies_.add(Anomaly::unread_data_at_close);
            count(Counter::abort_on_data);
            send_reset(now, Cause::send_rst);
            return;
        }
        const std::size_t take = std::min<std::size_t>(rcv_wnd(), have);
        rcv_buf_.append(std::span{seg.payload}.subspan(skip, take));
        rcv_nxt_ += static_cast<std::uint32_t>(take);
        if (take > 0) events_.push_back({AppEvent::Kind::readable});
        data_taken = true;
        if (take < have) {
            send_ack();
            return;  // the FIN, if any, lies beyond what fitted
        }
        // A filled gap is ACKed at once (RFC 5681 §4.2).
        if (take_early()) need_ack = true;
    }

    // Eighth: the FIN, when it is the next thing in sequence (arriving now, or kept from earlier).
    const bool fin_here = t.flags.fin_set() && t.seq + static_cast<std::uint32_t>(seg.payload.size()) == rcv_nxt_;
    const bool fin_kept = early_fin_ && *early_fin_ == rcv_nxt_ && early_.empty();
    if ((fin_here || fin_kept) && !peer_fin_) {
        early_fin_.reset();
        rcv_nxt_ += 1u;
        peer_fin_ = true;
        need_ack = true;
        events_.push_back({AppEvent::Kind::peer_closed});
        switch (state_) {
        case TcpState::established:
            transition(TcpState::close_wait, Cause::recv_fin, now);
            if (config_.delay_fin_ack && config_.delayed_ack > Duration::zero() && early_.empty()) {
                // The ACK waits a moment for the application's own FIN to ride on it.
                need_ack = false;
                if (delack_deadline_.is_never()) delack_deadline_ = now + config_.delayed_ack;
            }
            break;
        case TcpState::fin_wait_1:
            if (fin_acked()) enter_time_wait(now, Cause::recv_fin_ack);
            else transition(TcpState::closing, Cause::recv_fin, now);
            break;
        case TcpState::fin_wait_2:
            enter_time_wait(now, Cause::recv_fin);
            break;
        case TcpState::closed:
        case TcpState::listen:
        case TcpState::syn_sent:
        case TcpState::syn_received:
        case TcpState::close_wait:
        case TcpState::closing:
        case TcpState::last_ack:
        case TcpState::time_wait:
            break;
        }
    }
    if (need_ack) send_ack();
    else if (data_taken) acknowledge_data(now);
}

} // namespace teardown::engine
