#include "engine/stack.hpp"

#include "engine/isn.hpp"

namespace teardown::engine {

using wire::TcpFlags;

Stack::Stack(Config config) : config_{config} {}

Stack::Connections::iterator Stack::find_fd(int fd) {
    auto it = fds_.find(fd);
    return it == fds_.end() ? conns_.end() : conns_.find(it->second);
}

const Stack::Connection* Stack::find(int fd) const {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return nullptr;
    auto c = conns_.find(it->second);
    return c == conns_.end() ? nullptr : &c->second;
}

Opened Stack::listen(Instant now, const wire::Endpoint& local, int backlog, const Config& socket) {
    if (listening_on(local)) return {-1, Errno::eaddrinuse};
    const int fd = next_fd_++;
    listeners_[fd] = Listener{local, socket, backlog < 1 ? 1 : backlog, {}, 0};
    changes_.push_back({fd, {local, {}}, {TcpState::closed, TcpState::listen, Cause::app_listen, now}});
    return {fd, Errno::none};
}

Opened Stack::accept(int listener) {
    auto it = listeners_.find(listener);
    if (it == listeners_.end()) return {-1, fds_.count(listener) ? Errno::einval : Errno::ebadf};
    while (!it->second.ready.empty()) {
        const wire::FourTuple tuple = it->second.ready.front();
        it->second.ready.pop_front();
        auto c = conns_.find(tuple);
        if (c == conns_.end()) continue;  // reset before it was accepted
        const int fd = next_fd_++;
        c->second.fd = fd;
        c->second.listener = -1;
        fds_[fd] = tuple;
        return {fd, Errno::none};
    }
    return {-1, Errno::eagain};
}

std::optional<std::uint16_t> Stack::ephemeral_port(const wire::Endpoint& local, const wire::Endpoint& remote) {
    const std::uint32_t span = std::uint32_t{config_.ephemeral_last} - config_.ephemeral_first + 1;
    for (std::uint32_t i = 0; i < span; ++i) {
        const auto port = static_cast<std::uint16_t>(config_.ephemeral_first + (next_ephemeral_++ % span));
        if (!conns_.count(wire::FourTuple{{local.addr, port}, remote})) return port;
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
    if (conns_.count(tuple)) return {-1, Errno::eaddrinuse};
    const int fd = next_fd_++;
    Connection c;
    c.tcb = std::make_unique<Tcb>(socket, tuple);
    c.fd = fd;
    auto it = conns_.emplace(tuple, std::move(c)).first;
    fds_[fd] = tuple;
    ++counters_.active_opens;
    it->second.tcb->connect(now, initial_sequence_number(tuple, config_.isn_secret, now));
    settle(it);
    return {fd, Errno::none};
}

Io Stack::send(Instant now, int fd, std::span<const std::byte> data) {
    auto it = find_fd(fd);
    if (it == conns_.end()) return {0, Errno::ebadf};
    Io r = it->second.tcb->send(now, data);
    settle(it);
    return r;
}

Io Stack::recv(int fd, std::span<std::byte> out) {
    auto it = find_fd(fd);
    if (it == conns_.end()) return {0, listeners_.count(fd) ? Errno::enotconn : Errno::ebadf};
    Io r = it->second.tcb->recv(out);
    settle(it);
    return r;
}

Errno Stack::shutdown(Instant now, int fd, ShutdownHow how) {
    auto it = find_fd(fd);
    if (it == conns_.end()) return listeners_.count(fd) ? Errno::enotconn : Errno::ebadf;
    Tcb& tcb = *it->second.tcb;
    Errno e = Errno::none;
    if (how == ShutdownHow::read || how == ShutdownHow::both) e = tcb.shutdown_read(now);
    if (tcb.state() != TcpState::closed && (how == ShutdownHow::write || how == ShutdownHow::both))
        e = tcb.shutdown_write(now);
    settle(it);
    return e;
}

Errno Stack::set_linger(int fd, bool on, int seconds) {
    auto it = find_fd(fd);
    if (it == conns_.end()) return Errno::ebadf;
    it->second.linger_zero = on && seconds == 0;
    return Errno::none;
}

Errno Stack::close(Instant now, int fd) {
    if (auto l = listeners_.find(fd); l != listeners_.end()) {
        // Connections nobody accepted go with their listener, reset.
        std::vector<wire::FourTuple> orphans;
        for (auto& [tuple, c] : conns_)
            if (c.listener == fd) orphans.push_back(tuple);
        changes_.push_back({fd, {l->second.local, {}}, {TcpState::listen, TcpState::closed, Cause::app_close, now}});
        listeners_.erase(l);
        for (const auto& t : orphans) {
            auto it = conns_.find(t);
            it->second.listener = -1;
            it->second.app_closed = true;
            it->second.tcb->abort(now);
            settle(it);
        }
        return Errno::none;
    }
    auto it = find_fd(fd);
    if (it == conns_.end()) return Errno::ebadf;
    Connection& c = it->second;
    if (c.linger_zero) c.tcb->close_linger_zero(now);
    else c.tcb->close(now);
    c.app_closed = true;
    c.fd = -1;
    fds_.erase(fd);
    settle(it);
    return Errno::none;
}

Errno Stack::abort(Instant now, int fd) {
    auto it = find_fd(fd);
    if (it == conns_.end()) return Errno::ebadf;
    it->second.tcb->abort(now);
    settle(it);
    return Errno::none;
}

std::optional<TcpState> Stack::state(int fd) const {
    if (listeners_.count(fd)) return TcpState::listen;
    const Connection* c = find(fd);
    if (!c) return std::nullopt;
    return c->tcb->state();
}

Errno Stack::socket_error(int fd) const {
    const Connection* c = find(fd);
    return c ? c->tcb->error() : Errno::none;
}

Errno Stack::reconfigure(Instant now, int fd, const Config& socket) {
    if (auto l = listeners_.find(fd); l != listeners_.end()) {
        l->second.socket = socket;
        return Errno::none;
    }
    auto it = find_fd(fd);
    if (it == conns_.end()) return Errno::ebadf;
    it->second.tcb->reconfigure(now, socket);
    settle(it);
    return Errno::none;
}

std::optional<TcpState> Stack::state_of(const wire::FourTuple& tuple) const {
    auto it = conns_.find(tuple);
    if (it == conns_.end()) return std::nullopt;
    return it->second.tcb->state();
}

bool Stack::listening_on(const wire::Endpoint& local) const {
    for (const auto& [fd, l] : listeners_)
        if (l.local == local) return true;
    return false;
}

bool Stack::local_in_use(const wire::Endpoint& local) const {
    if (listening_on(local)) return true;
    for (const auto& [tuple, c] : conns_)
        if (tuple.local == local) return true;
    return false;
}

std::optional<wire::FourTuple> Stack::tuple(int fd) const {
    const Connection* c = find(fd);
    if (!c) return std::nullopt;
    return c->tcb->tuple();
}

void Stack::settle(Connections::iterator it) {
    if (it == conns_.end()) return;
    const wire::FourTuple& tuple = it->first;
    Connection& c = it->second;
    for (auto& s : c.tcb->take_segments()) out_.push_back(std::move(s));
    for (const auto& e : c.tcb->take_events())
        if (c.fd >= 0) events_.emplace_back(c.fd, e);
    for (const auto& ch : c.tcb->take_state_changes()) {
        changes_.push_back({c.fd, tuple, ch});
        if (c.listener < 0) continue;
        auto l = listeners_.find(c.listener);
        if (l == listeners_.end()) continue;
        if (ch.from == TcpState::syn_received) {
            if (l->second.half_open > 0) --l->second.half_open;
            if (ch.to == TcpState::established) l->second.ready.push_back(tuple);
        }
    }
    const Instant deadline = c.tcb->next_deadline();
    if (deadline != c.armed) {
        c.armed = deadline;
        if (!deadline.is_never()) timers_.push({deadline, tuple});
    }
    // A closed connection no descriptor refers to is freed at once.
    const bool unreferenced = c.fd < 0 || c.app_closed;
    if (c.tcb->state() == TcpState::closed && unreferenced && c.listener < 0) {
        if (c.fd >= 0) fds_.erase(c.fd);
        conns_.erase(it);
        ++counters_.connections_freed;
    } else if (c.tcb->state() == TcpState::closed && c.listener >= 0) {
        // Reset or timed out before anyone accepted it.
        if (auto l = listeners_.find(c.listener); l != listeners_.end()) {
            auto& ready = l->second.ready;
            std::erase(ready, tuple);
        }
        conns_.erase(it);
        ++counters_.connections_freed;
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
    out_.push_back(std::move(r));
    ++counters_.out_rsts;
}

void Stack::on_segment(Instant now, const Segment& seg) {
    const wire::FourTuple tuple{{seg.dst, seg.tcp.dst_port}, {seg.src, seg.tcp.src_port}};
    if (auto it = conns_.find(tuple); it != conns_.end()) {
        it->second.tcb->on_segment(now, seg);
        settle(it);
        return;
    }
    int listener = -1;
    for (const auto& [fd, l] : listeners_) {
        const bool any_addr = l.local.addr == wire::IpAddress{} || l.local.addr == wire::IpAddress::v6(std::array<std::uint8_t, 16>{});
        if (l.local.port == seg.tcp.dst_port && (l.local.addr == seg.dst || any_addr)) listener = fd;
    }
    const auto& f = seg.tcp.flags;
    if (listener < 0 || !f.syn_set() || f.ack_set() || f.rst_set()) {
        // RFC 9293 §3.10.7.2: in LISTEN, an ACK is answered by RST, a RST is ignored.
        reset_for_nothing(seg);
        return;
    }
    Listener& l = listeners_.at(listener);
    if (l.half_open + l.ready.size() >= static_cast<std::size_t>(l.backlog)) {
        ++counters_.listen_drops;  // the peer's SYN retransmission tries again
        return;
    }
    Connection c;
    c.tcb = std::make_unique<Tcb>(l.socket, tuple);
    c.listener = listener;
    auto it = conns_.emplace(tuple, std::move(c)).first;
    ++l.half_open;
    ++counters_.passive_opens;
    it->second.tcb->accept_syn(now, seg, initial_sequence_number(tuple, config_.isn_secret, now));
    settle(it);
}

bool Stack::stale(const Timer& t) const {
    auto it = conns_.find(t.tuple);
    return it == conns_.end() || it->second.armed != t.at;
}

void Stack::on_timer(Instant now) {
    while (!timers_.empty() && timers_.top().at <= now) {
        const Timer t = timers_.top();
        timers_.pop();
        auto it = conns_.find(t.tuple);
        if (it == conns_.end() || it->second.armed != t.at) continue;  // stale
        it->second.armed = Instant::never();
        it->second.tcb->on_timer(now);
        settle(it);
    }
}

Instant Stack::next_deadline() const {
    while (!timers_.empty() && stale(timers_.top())) timers_.pop();
    return timers_.empty() ? Instant::never() : timers_.top().at;
}

} // namespace teardown::engine
