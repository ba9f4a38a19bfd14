#include "engine/stack.hpp"

#include "core/mix64.hpp"
#include "engine/syn_cookie.hpp"

#include "engine/isn.hpp"

namespace teardown::engine {

using wire::TcpFlags;

Stack::Stack(Config config) : config_{config} { shared_->challenge_ack_limit = config_.challenge_ack_limit; }

std::optional<Stack::Slot> Stack::find(const wire::FourTuple& tuple) const {
    const Slot s = by_tuple_.find(tuple, tuple_of_slot());
    if (s == wire::TupleIndex::k_absent) return std::nullopt;
    return s;
}

std::optional<Stack::Slot> Stack::find_fd(int fd) const {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fd_slots_.size() || fd_slots_[fd] < 0) return std::nullopt;
    return static_cast<Slot>(fd_slots_[fd]);
}

Stack::Slot Stack::open_slot(const Config& socket, const wire::FourTuple& tuple) {
    Slot s;
    if (!free_slots_.empty()) {
        s = free_slots_.back();
        free_slots_.pop_back();
        Connection& c = at(s);
        c.tcb.reset(socket, tuple);
        c.fd = -1;
        c.listener = -1;
        c.app_closed = false;
        c.linger_zero = false;
        c.in_use = true;
    } else {
        s = static_cast<Slot>(slots_.size());
        slots_.push_back(std::make_unique<Connection>(socket, tuple));
    }
    at(s).tcb.share(shared_.get());
    by_tuple_.insert(tuple, s);
    return s;
}

void Stack::free_slot(Slot s) {
    Connection& c = at(s);
    by_tuple_.erase(c.tcb.tuple(), tuple_of_slot());
    timers_.cancel(s);
    if (c.fd >= 0) close_fd(c.fd);
    c.fd = -1;
    c.listener = -1;
    c.in_use = false;
    free_slots_.push_back(s);
    shared_->mib.add(Counter::connections_freed);
}

int Stack::open_fd(std::int32_t what) {
    int fd;
    if (!free_fds_.empty()) {
        fd = free_fds_.top();
        free_fds_.pop();
    } else {
        // 0, 1 and 2 are the application's standard streams, as in a process.
        fd = std::max<int>(3, static_cast<int>(fd_slots_.size()));
        fd_slots_.resize(static_cast<std::size_t>(fd) + 1, k_no_slot);
    }
    fd_slots_[static_cast<std::size_t>(fd)] = what;
    return fd;
}

void Stack::close_fd(int fd) {
    fd_slots_[static_cast<std::size_t>(fd)] = k_no_slot;
    free_fds_.push(fd);
}

Opened Stack::listen(Instant now, const wire::Endpoint& local, int backlog, const Config& socket) {
    if (listening_on(local)) return {-1, Errno::eaddrinuse};
    const int fd = open_fd(k_listener);
    listeners_[fd] = Listener{local, socket, backlog < 1 ? 1 : backlog, {}, {}};
    changes_.push_back({fd, {local, {}}, {TcpState::closed, TcpState::listen, Cause::app_listen, now}});
    return {fd, Errno::none};
}

Opened Stack::accept(int listener) {
    auto it = listeners_.find(listener);
    if (it == listeners_.end()) return {-1, find_fd(listener) ? Errno::einval : Errno::ebadf};
    while (!it->second.ready.empty()) {
        const wire::FourTuple tuple = it->second.ready.front();
        it->second.ready.pop_front();
        const auto s = find(tuple);
        if (!s) continue;  // reset before it was accepted
        Connection& c = at(*s);
        c.fd = open_fd(static_cast<std::int32_t>(*s));
        c.listener = -1;
        return {c.fd, Errno::none};
    }
    return {-1, Errno::eagain};
}

std::optional<std::uint16_t> Stack::ephemeral_port(const wire::Endpoint& local, const wire::Endpoint& remote) {
    const std::uint32_t span = std::uint32_t{config_.ephemeral_last} - config_.ephemeral_first + 1;
    for (std::uint32_t i = 0; i < span; ++i) {
        const auto port = static_cast<std::uint16_t>(config_.ephemeral_first + (next_ephemeral_++ % span));
        const wire::FourTuple tuple{{local.addr, port}, remote};
        if (!find(tuple) && time_wait_.find(tuple) == TimeWaitTable::k_none) return port;
    }
    return std::nullopt;
}

Opened Stack::connect(Instant now, const wire::Endpoint& local, const wire::Endpoint& remote, const Config& socket) {
    wire::Endpoint from = local;
    if (from.port == 0) {
        auto port = ephemeral_port(local, remote);
        if (!port) return {-1, Errno::eaddrinuse};
        from.port = *port;
    }
    const wire::FourTuple tuple{from, remote};
    // A 4-tuple in TIME-WAIT is not ours to reuse by connect() (RFC 9293 §3.4.2).
    if (find(tuple) || time_wait_.find(tuple) != TimeWaitTable::k_none) return {-1, Errno::eaddrinuse};
    const Slot s = open_slot(socket, tuple);
    Connection& c = at(s);
    c.fd = open_fd(static_cast<std::int32_t>(s));
    shared_->mib.add(Counter::active_opens);
    c.tcb.connect(now, initial_sequence_number(tuple, config_.isn_secret, now));
    const int fd = c.fd;
    settle(s);
    return {fd, Errno::none};
}

Io Stack::send(Instant now, int fd, std::span<const std::byte> data) {
    const auto s = find_fd(fd);
    if (!s) return {0, Errno::ebadf};
    Io r = at(*s).tcb.send(now, data);
    settle(*s);
    return r;
}

Io Stack::recv(int fd, std::span<std::byte> out) {
    const auto s = find_fd(fd);
    if (!s) return {0, is_listener(fd) ? Errno::enotconn : Errno::ebadf};
    Io r = at(*s).tcb.recv(out);
    settle(*s);
    return r;
}

Errno Stack::shutdown(Instant now, int fd, ShutdownHow how) {
    const auto s = find_fd(fd);
    if (!s) return is_listener(fd) ? Errno::enotconn : Errno::ebadf;
    Tcb& tcb = at(*s).tcb;
    Errno e = Errno::none;
    if (how == ShutdownHow::read || how == ShutdownHow::both) e = tcb.shutdown_read(now);
    if (tcb.state() != TcpState::closed && (how == ShutdownHow::write || how == ShutdownHow::both))
        e = tcb.shutdown_write(now);
    settle(*s);
    return e;
}

Errno Stack::set_linger(int fd, bool on, int seconds) {
    const auto s = find_fd(fd);
    if (!s) return Errno::ebadf;
    at(*s).linger_zero = on && seconds == 0;
    return Errno::none;
}

Errno Stack::close(Instant now, int fd) {
    if (auto l = listeners_.find(fd); l != listeners_.end()) {
        // Connections nobody accepted go with their listener, reset.
        std::vector<Slot> orphans;
        for (Slot s = 0; s < slots_.size(); ++s)
            if (at(s).in_use && at(s).listener == fd) orphans.push_back(s);
        changes_.push_back({fd, {l->second.local, {}}, {TcpState::listen, TcpState::closed, Cause::app_close, now}});
        listeners_.erase(l);
        close_fd(fd);
        for (Slot s : orphans) {
            Connection& c = at(s);
            c.listener = -1;
            c.app_closed = true;
            c.tcb.abort(now);
            settle(s);
        }
        return Errno::none;
    }
    const auto s = find_fd(fd);
    if (!s) return Errno::ebadf;
    Connection& c = at(*s);
    if (c.linger_zero) c.tcb.close_linger_zero(now);
    else c.tcb.close(now);
    c.app_closed = true;
    c.fd = -1;
    close_fd(fd);
    settle(*s);
    return Errno::none;
}

Errno Stack::abort(Instant now, int fd) {
    const auto s = find_fd(fd);
    if (!s) return Errno::ebadf;
    at(*s).tcb.abort(now);
    settle(*s);
    return Errno::none;
}

std::optional<TcpState> Stack::state(int fd) const {
    if (is_listener(fd)) return TcpState::listen;
    const auto s = find_fd(fd);
    if (!s) return std::nullopt;
    return at(*s).tcb.state();
}

Errno Stack::socket_error(int fd) const {
    const auto s = find_fd(fd);
    return s ? at(*s).tcb.error() : Errno::none;
}

Errno Stack::reconfigure(Instant now, int fd, const Config& socket) {
    if (auto l = listeners_.find(fd); l != listeners_.end()) {
        l->second.socket = socket;
        return Errno::none;
    }
    const auto s = find_fd(fd);
    if (!s) return Errno::ebadf;
    at(*s).tcb.reconfigure(now, socket);
    settle(*s);
    return Errno::none;
}

std::optional<TcpState> Stack::state_of(const wire::FourTuple& tuple) const {
    if (const auto s = find(tuple)) return at(*s).tcb.state();
    if (time_wait_.find(tuple) != TimeWaitTable::k_none) return TcpState::time_wait;
    return std::nullopt;
}

bool Stack::listening_on(const wire::Endpoint& local) const {
    for (const auto& [fd, l] : listeners_)
        if (l.local == local) return true;
    return false;
}

bool Stack::local_in_use(const wire::Endpoint& local) const {
    if (listening_on(local)) return true;
    for (const auto& c : slots_)
        if (c->in_use && c->tcb.tuple().local == local) return true;
    return time_wait_.any([&](const TimeWait& tw) { return tw.tuple().local == local; });
}

std::optional<wire::FourTuple> Stack::tuple(int fd) const {
    const auto s = find_fd(fd);
    if (!s) return std::nullopt;
    return at(*s).tcb.tuple();
}

void Stack::settle(Slot s) {
    Connection& c = at(s);
    Tcb& tcb = c.tcb;
    const wire::FourTuple& tuple = tcb.tuple();
    for (auto& seg : tcb.segments()) out_.push_back(std::move(seg));
    if (c.fd >= 0)
        for (const auto& e : tcb.events()) events_.emplace_back(c.fd, e);
    for (const auto& ch : tcb.state_changes()) {
        changes_.push_back({c.fd, tuple, ch});
        if (c.listener < 0) continue;
        auto l = listeners_.find(c.listener);
        if (l == listeners_.end()) continue;
        if (ch.from == TcpState::syn_received) {
            std::erase(l->second.syn_queue, tuple);
            if (ch.to == TcpState::established) l->second.ready.push_back(tuple);
        }
    }
    tcb.clear_outputs();
    if (tcb.state() == TcpState::time_wait && c.listener < 0 && (c.fd < 0 || c.app_closed)) {
        enter_time_wait_table(s);
        return;
    }
    timers_.schedule(s, tcb.next_deadline());
    if (tcb.state() != TcpState::closed) return;
    if (c.listener >= 0) {
        // Reset or timed out before anyone accepted it.
        if (auto l = listeners_.find(c.listener); l != listeners_.end()) std::erase(l->second.ready, tuple);
        free_slot(s);
    } else if (c.fd < 0 || c.app_closed) {
        // A closed connection no descriptor refers to is freed at once.
        free_slot(s);
    }
}

// RFC 9293 §3.10.7.1: a segment for no connection gets a RST, unless it is one.
void Stack::reset_for_nothing(const Segment& seg) {
    const auto& t = seg.tcp;
    if (t.flags.rst_set()) return;
    Segment r;
    r.src = seg.dst;
    r.dst = seg.src;
    r.tcp.src_port = t.dst_port;
    r.tcp.dst_port = t.src_port;
    if (t.flags.ack_set()) {
        r.tcp.seq = t.ack;  // <SEQ=SEG.ACK><CTL=RST>
        r.tcp.flags = TcpFlags{TcpFlags::rst};
    } else {
        r.tcp.seq = SeqNum{0};  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        r.tcp.ack = t.seq + seg.seq_len();
        r.tcp.flags = TcpFlags{TcpFlags::rst | TcpFlags::ack};
    }
    shared_->mib.add(Counter::out_rsts);
    send(std::move(r));
}

void Stack::send(Segment seg) {
    shared_->mib.add(Counter::out_segs);
    out_.push_back(std::move(seg));
}

// Nobody can read or write a connection in TIME-WAIT any more: all it does
// is answer for its 4-tuple, which the table does in 64 bytes, so the
// endpoint (its buffers, timers and slot) is freed now.
void Stack::enter_time_wait_table(Slot s) {
    const Tcb& tcb = at(s).tcb;
    const TimeWait tw = tcb.time_wait_record();
    const Duration length = tcb.config().time_wait();
    const Instant entered = tw.deadline - length;
    free_slot(s);
    if (time_wait_.size() >= config_.max_time_wait) {
        shared_->mib.add(Counter::time_wait_overflow);
        if (config_.time_wait_overflow == Config::TimeWaitOverflow::skip_time_wait || config_.max_time_wait == 0) {
            // Linux's way: the closing connection goes without TIME-WAIT.
            changes_.push_back({-1, tw.tuple(), {TcpState::time_wait, TcpState::closed, Cause::timer_2msl, entered}});
            return;
        }
        // The entry closest to its end gives way: it has had most of its 2 MSL.
        const TimeWaitTable::Id oldest = time_wait_.oldest();
        leave_time_wait(entered, time_wait_.at(oldest), Cause::timer_2msl);
        time_wait_.erase(oldest);
    }
    time_wait_.insert(tw, length);
}

void Stack::leave_time_wait(Instant now, const TimeWait& tw, Cause cause) {
    changes_.push_back({-1, tw.tuple(), {TcpState::time_wait, TcpState::closed, cause, now}});
}

bool Stack::on_time_wait_segment(Instant now, TimeWaitTable::Id id, const Segment& seg) {
    TimeWait& tw = time_wait_.at(id);
    switch (judge_time_wait_segment(tw, seg)) {
    case TimeWaitVerdict::drop:
        return true;
    case TimeWaitVerdict::absorb:
        shared_->mib.add(Counter::time_wait_late);
        return true;
    case TimeWaitVerdict::ack:
        shared_->mib.add(Counter::time_wait_late);
        send(time_wait_ack(tw, now));
        return true;
    case TimeWaitVerdict::paws_ack:
        shared_->mib.add(Counter::paws_estab);
        shared_->mib.add(Counter::time_wait_late);
        send(time_wait_ack(tw, now));
        return true;
    case TimeWaitVerdict::ack_restart: {
        remember_time_wait_timestamp(tw, seg);
        const Segment ack = time_wait_ack(tw, now);
        send(ack);
        time_wait_.restart(id, now);
        return true;
    }
    case TimeWaitVerdict::challenge:
        // RFC 5961 §7's Stack-wide budget applies here too.
        if (seg.tcp.flags.syn_set()) shared_->mib.add(Counter::syn_challenge);
        if (shared_->take_challenge(now)) send(time_wait_ack(tw, now));
        return true;
    case TimeWaitVerdict::kill:
        shared_->mib.add(Counter::tw_killed);
        shared_->mib.add(Counter::in_rsts);
        leave_time_wait(now, tw, Cause::recv_rst);
        time_wait_.erase(id);
        return true;
    case TimeWaitVerdict::reset: {
        Segment rst = time_wait_ack(tw, now);
        rst.tcp.flags = TcpFlags{TcpFlags::rst};
        rst.tcp.ack = SeqNum{0};
        rst.tcp.window = 0;
        rst.tcp.options = {};
        if (seg.tcp.flags.ack_set()) rst.tcp.seq = seg.tcp.ack;
        shared_->mib.add(Counter::out_rsts);
        send(std::move(rst));
        leave_time_wait(now, tw, Cause::recv_syn);
        time_wait_.erase(id);
        return true;
    }
    case TimeWaitVerdict::reuse:
        shared_->mib.add(Counter::tw_recycled);
        leave_time_wait(now, tw, Cause::syn_reuse_time_wait);
        time_wait_.erase(id);
        return false;
    }
    return true;
}

void Stack::on_segment(Instant now, const Segment& seg) {
    shared_->mib.add(Counter::in_segs);
    const wire::FourTuple tuple{{seg.dst, seg.tcp.dst_port}, {seg.src, seg.tcp.src_port}};
    if (const auto s = find(tuple)) {
        at(*s).tcb.on_segment(now, seg);
        settle(*s);
        return;
    }
    // A new incarnation must start above everything the old one sent
    // (RFC 6191 §2), so the SYN-ACK cannot be taken for an old segment.
    std::optional<SeqNum> after;
    if (const auto tw = time_wait_.find(tuple); tw != TimeWaitTable::k_none) {
        after = time_wait_.at(tw).snd_nxt;
        if (on_time_wait_segment(now, tw, seg)) return;
    }
    const auto& f = seg.tcp.flags;
    const auto listener = listener_for(seg);
    if (listener && f.ack_set() && !f.syn_set() && !f.rst_set() && on_cookie_ack(now, *listener, tuple, seg)) return;
    if (!listener || !f.syn_set() || f.ack_set() || f.rst_set()) {
        // RFC 9293 §3.10.7.2: in LISTEN, an ACK is answered by RST, a RST is ignored.
        reset_for_nothing(seg);
        return;
    }
    on_syn_for_listener(now, *listener, tuple, seg, after);
}

std::optional<int> Stack::listener_for(const Segment& seg) const {
    std::optional<int> found;
    for (const auto& [fd, l] : listeners_) {
        const bool any_addr = l.local.addr == wire::IpAddress{} || l.local.addr == wire::IpAddress::v6(std::array<std::uint8_t, 16>{});
        if (l.local.port == seg.tcp.dst_port && (l.local.addr == seg.dst || any_addr)) found = fd;
    }
    return found;
}

// RFC 9293 §3.10.7.2, a SYN in LISTEN, with the defence against floods of
// them: the accept queue is bounded by the backlog (a full one drops the
// SYN, which the peer retries), and so is the queue of half-open
// requests, where the oldest request gives way to the newest. A flood of
// forged SYNs then only ever holds `backlog` requests, each for less time
// the faster it comes, while a real client's handshake, which completes in
// one round trip, still gets through.
void Stack::on_syn_for_listener(Instant now, int fd, const wire::FourTuple& tuple, const Segment& seg,
                                std::optional<SeqNum> after) {
    Listener& l = listeners_.at(fd);
    const auto backlog = static_cast<std::size_t>(l.backlog);
    if (l.ready.size() >= backlog) {
        shared_->mib.add(Counter::listen_overflows);
        shared_->mib.add(Counter::listen_drops);
        return;
    }
    if (l.syn_queue.size() >= backlog && config_.syn_cookies) {
        send_syn_cookie(now, l, tuple, seg);
        return;
    }
    while (l.syn_queue.size() >= backlog) {
        const wire::FourTuple oldest = l.syn_queue.front();
        l.syn_queue.pop_front();
        shared_->mib.add(Counter::req_q_full_drop);
        if (const auto s = find(oldest)) {
            at(*s).tcb.forget(now, Cause::recv_syn);
            settle(*s);
        }
    }
    const Slot s = open_slot(l.socket, tuple);
    at(s).listener = fd;
    l.syn_queue.push_back(tuple);
    shared_->mib.add(Counter::passive_opens);
    SeqNum iss = initial_sequence_number(tuple, config_.isn_secret, now);
    if (after && iss <= *after) iss = *after + 65537u;  // as Linux does for a TIME-WAIT 4-tuple
    at(s).tcb.accept_syn(now, seg, iss);
    settle(s);
}

// RFC 4987 §3.6: the queue is full, so the SYN-ACK carries the request in
// its ISS and the Stack forgets it. The SYN-ACK offers our MSS and nothing
// else: window scaling, SACK and timestamps cannot be remembered.
void Stack::send_syn_cookie(Instant now, Listener& l, const wire::FourTuple& tuple, const Segment& syn) {
    const std::uint16_t peer_mss = syn.tcp.options.mss.value_or(536);
    Segment r;
    r.src = syn.dst;
    r.dst = syn.src;
    r.tcp.src_port = syn.tcp.dst_port;
    r.tcp.dst_port = syn.tcp.src_port;
    r.tcp.seq = syn_cookie(tuple, syn.tcp.seq, peer_mss, cookie_minute(now), cookie_secret());
    r.tcp.ack = syn.tcp.seq + 1u;
    r.tcp.flags = TcpFlags{TcpFlags::syn | TcpFlags::ack};
    r.tcp.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(l.socket.receive_buffer, 65535));
    r.tcp.options.mss = l.socket.mss;
    l.last_cookie = now;
    shared_->mib.add(Counter::syncookies_sent);
    send(std::move(r));
}

// An ACK for no connection, at a listener that sent cookies lately: if
// ACK - 1 is one of its cookies, the handshake it completes is made now,
// as if the SYN had been kept. true: the segment is dealt with.
bool Stack::on_cookie_ack(Instant now, int fd, const wire::FourTuple& tuple, const Segment& seg) {
    Listener& l = listeners_.at(fd);
    if (l.last_cookie.is_never() || now - l.last_cookie > Duration::seconds(180)) return false;
    const SeqNum peer_isn = seg.tcp.seq - 1u;
    const auto mss = check_syn_cookie(tuple, peer_isn, seg.tcp.ack - 1u, cookie_minute(now), cookie_secret());
    if (!mss) {
        shared_->mib.add(Counter::syncookies_failed);
        return false;  // answered as any stray ACK is: RST
    }
    shared_->mib.add(Counter::syncookies_recv);
    if (l.ready.size() >= static_cast<std::size_t>(l.backlog)) {
        shared_->mib.add(Counter::listen_overflows);
        shared_->mib.add(Counter::listen_drops);
        return true;  // the peer's retransmission may find room
    }
    // The SYN the cookie stood for, with only what the cookie kept.
    Segment syn;
    syn.src = seg.src;
    syn.dst = seg.dst;
    syn.tcp.src_port = seg.tcp.src_port;
    syn.tcp.dst_port = seg.tcp.dst_port;
    syn.tcp.seq = peer_isn;
    syn.tcp.flags = TcpFlags{TcpFlags::syn};
    syn.tcp.window = seg.tcp.window;
    syn.tcp.options.mss = *mss;
    const Slot s = open_slot(l.socket, tuple);
    at(s).listener = fd;
    l.syn_queue.push_back(tuple);
    shared_->mib.add(Counter::passive_opens);
    Tcb& tcb = at(s).tcb;
    tcb.accept_syn(now, syn, seg.tcp.ack - 1u);
    (void)tcb.take_segments();  // its SYN-ACK went out already, as the cookie
    tcb.on_segment(now, seg);
    settle(s);
    return true;
}

std::uint64_t Stack::cookie_secret() const { return mix64(config_.isn_secret ^ 0x73796e636f6f6b69ULL); }

void Stack::on_timer(Instant now) {
    time_wait_.expire(now, [&](const TimeWait& tw) {
        shared_->mib.add(Counter::time_waited);
        leave_time_wait(tw.deadline, tw, Cause::timer_2msl);
    });
    // A connection whose timer work leaves another deadline already due runs again.
    for (;;) {
        due_.clear();
        timers_.expire(now, due_);
        if (due_.empty()) return;
        for (Slot s : due_) {
            at(s).tcb.on_timer(now);
            settle(s);
        }
    }
}

Instant Stack::next_deadline() const { return std::min(timers_.next_deadline(), time_wait_.next_deadline()); }

} // namespace teardown::engine
