#include "watch/lifecycle.hpp"

#include <algorithm>
#include <cerrno>

namespace teardown::watch {

namespace {

void keep_known(wire::Endpoint& have, const wire::Endpoint& seen) {
    // Early (SYN_SENT before bind) and late (after unhash) events carry zeros.
    if (seen.port != 0) have = seen;
}

bool has(const std::vector<KernelState>& path, KernelState s) { return std::find(path.begin(), path.end(), s) != path.end(); }

} // namespace

LifecycleTracker::LifecycleTracker(Sink sink, std::function<std::string(std::uint32_t)> reason_name, Duration settle)
    : sink_{std::move(sink)}, reason_name_{std::move(reason_name)}, settle_{settle} {}

void LifecycleTracker::seed(std::uint64_t cookie, std::uint32_t netns, const wire::FourTuple& tuple, KernelState state, Instant now) {
    if (conns_.count(cookie) != 0) return;
    Conn c;
    c.netns = netns;
    c.tuple = tuple;
    c.opened = now;
    c.state = state;
    c.state_since = now;
    c.path.push_back(state);
    conns_.emplace(cookie, std::move(c));
}

void LifecycleTracker::on_event(const KernelEvent& e) {
    if (e.cookie == 0) return;  // a reset for no socket: counted by the caller
    auto it = conns_.find(e.cookie);
    if (it == conns_.end()) {
        // Listeners are not connections; neither is a socket whose first event is its end.
        if (e.kind != KernelEvent::Kind::state || e.to == KernelState::listen || e.to == KernelState::close) return;
        Conn c;
        c.netns = e.netns;
        c.opened = e.at;
        c.state = e.from;
        c.state_since = e.at;
        if (e.from == KernelState::close && e.to == KernelState::syn_sent) c.local_is_client = true;
        else if (e.from == KernelState::listen || e.to == KernelState::syn_recv) c.local_is_client = false;
        else c.path.push_back(e.from);  // it began before the watch
        it = conns_.emplace(e.cookie, std::move(c)).first;
    }
    Conn& c = it->second;
    keep_known(c.tuple.local, e.tuple.local);
    keep_known(c.tuple.remote, e.tuple.remote);
    c.retrans = std::max(c.retrans, e.total_retrans);
    switch (e.kind) {
    case KernelEvent::Kind::state:
        if (c.closed) return;  // nothing changes after CLOSE
        c.state = e.to;
        c.state_since = e.at;
        c.path.push_back(e.to);
        if (e.to == KernelState::close) {
            c.closed = e.at;
            c.closed_from = e.from;
            c.sk_err = e.sk_err;
            c.peer_fin = e.peer_fin;
        }
        return;
    case KernelEvent::Kind::reset_sent:
        c.reset_sent = true;
        c.reset_reason = e.reset_reason;
        return;
    case KernelEvent::Kind::reset_received:
        c.reset_received = true;
        return;
    case KernelEvent::Kind::retransmit:
        c.retrans = std::max(c.retrans, e.total_retrans + 1);  // the count before this one, then it
        return;
    case KernelEvent::Kind::destroy:
        if (c.closed) {
            emit(e.cookie, c);
            conns_.erase(it);
        }
        return;
    case KernelEvent::Kind::owner:
        c.pid = e.pid;
        c.comm = e.comm;
        c.cgroup = e.cgroup;
        return;
    }
}

WatchRecord LifecycleTracker::record_of(std::uint64_t cookie, const Conn& c) const {
    WatchRecord r;
    r.cookie = cookie;
    r.netns = c.netns;
    r.tuple = c.tuple;
    r.role_inferred = !c.local_is_client.has_value();
    // Begun before the watch: the side on the lower (service) port is the server.
    r.local_is_client = c.local_is_client.value_or(c.tuple.local.port > c.tuple.remote.port);
    r.pid = c.pid;
    r.comm = c.comm;
    r.cgroup = c.cgroup;
    r.opened = c.opened;
    r.retransmissions = c.retrans;
    for (const auto s : c.path)
        if (const auto rfc = rfc_state(s); rfc && (r.path.empty() || r.path.back() != *rfc)) r.path.push_back(*rfc);
    const Side local = r.local_side();
    const Side remote = local == Side::client ? Side::server : Side::client;
    const auto closer_of = [](Side s) { return s == Side::client ? Closer::client : Closer::server; };
    if (!c.closed) {
        r.ending = c.state == KernelState::close_wait ? Ending::half_open : Ending::open;
        if (c.state == KernelState::close_wait) r.closer = closer_of(remote);
        else if (has(c.path, KernelState::fin_wait1)) r.closer = closer_of(local);
        return r;
    }
    r.closed = *c.closed;
    r.error = c.sk_err;
    const KernelState from = c.closed_from;
    if (from == KernelState::syn_sent) {
        // RFC 9293 §3.10.7.3: a RST in SYN-SENT is a refusal; silence ends in ETIMEDOUT.
        r.ending = c.reset_received || c.sk_err == ECONNREFUSED ? Ending::refused : Ending::unanswered;
        if (r.ending == Ending::refused) {
            r.reset_by = remote;
            r.closer = closer_of(remote);
        }
        return r;
    }
    if (c.reset_received || c.reset_sent) {
        r.ending = Ending::reset;
        r.reset_by = c.reset_received ? remote : local;
        r.closer = closer_of(*r.reset_by);
        if (c.reset_sent && !c.reset_received) r.reset_reason = reason_name_(c.reset_reason);
        return r;
    }
    if (c.sk_err == ETIMEDOUT) {
        r.ending = Ending::timeout;
        r.closer = has(c.path, KernelState::fin_wait1) ? closer_of(local) : Closer::none;
        return r;
    }
    if (c.sk_err == ECONNRESET || c.sk_err == EPIPE) {
        r.ending = Ending::reset;
        r.reset_by = remote;
        r.closer = closer_of(remote);
        return r;
    }
    switch (from) {
    case KernelState::fin_wait1:
    case KernelState::fin_wait2:
        if (!c.peer_fin) {
            // close() in FIN_WAIT2: Linux parks the orphan in a timewait
            // socket to wait out tcp_fin_timeout for the peer's FIN, which has
            // not come. No tracepoint sees how that ends.
            r.ending = Ending::half_open;
            r.closer = closer_of(local);
            return r;
        }
        [[fallthrough]];
    case KernelState::closing:
        r.ending = Ending::graceful;
        r.time_wait = true;
        r.closer = has(c.path, KernelState::closing) ? Closer::both : closer_of(local);
        return r;
    case KernelState::last_ack:
        r.ending = Ending::graceful;
        r.closer = closer_of(remote);
        return r;
    case KernelState::time_wait:
        r.ending = Ending::graceful;
        r.time_wait = true;
        return r;
    case KernelState::established:
    case KernelState::close_wait:
    case KernelState::syn_recv:
    case KernelState::new_syn_recv:
        // Straight to CLOSE with no error and no reset seen: an abortive close
        // of ours whose RST event was lost or not yet read.
        r.ending = Ending::reset;
        r.reset_by = local;
        r.closer = closer_of(local);
        return r;
    case KernelState::syn_sent:
    case KernelState::close:
    case KernelState::listen:
    case KernelState::bound_inactive:
        r.ending = Ending::unanswered;
        return r;
    }
    return r;
}

void LifecycleTracker::emit(std::uint64_t cookie, const Conn& c) { sink_(record_of(cookie, c)); }

void LifecycleTracker::tick(Instant now) {
    for (auto it = conns_.begin(); it != conns_.end();) {
        if (it->second.closed && now - *it->second.closed >= settle_) {
            emit(it->first, it->second);
            it = conns_.erase(it);
        } else {
            ++it;
        }
    }
}

void LifecycleTracker::finish(Instant now) {
    std::vector<std::pair<std::uint64_t, const Conn*>> all;
    for (const auto& [cookie, c] : conns_) all.emplace_back(cookie, &c);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second->opened < b.second->opened; });
    for (const auto& [cookie, c] : all) {
        WatchRecord r = record_of(cookie, *c);
        if (!c->closed) r.closed = now;
        sink_(std::move(r));
    }
    conns_.clear();
}

void LifecycleTracker::for_each_open(const std::function<void(const Open&)>& fn) const {
    for (const auto& [cookie, c] : conns_)
        if (!c.closed) fn({cookie, c.tuple, c.state, c.state_since, c.pid, &c.comm, c.cgroup});
}

} // namespace teardown::watch
