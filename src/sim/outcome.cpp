#include "sim/outcome.hpp"

#include <algorithm>

#include "engine/errno.hpp"

namespace teardown::sim {

bool Endpoint::went_through(TcpState s) const {
    return std::any_of(path.begin(), path.end(), [s](const StateChange& c) { return c.to == s; });
}
bool Endpoint::has_cause(Cause c) const {
    return std::any_of(path.begin(), path.end(), [c](const StateChange& x) { return x.cause == c; });
}

namespace {

wire::FourTuple flipped(const wire::FourTuple& t) { return {t.remote, t.local}; }

bool is_give_up(Cause c) {
    return c == Cause::retransmit_limit || c == Cause::user_timeout || c == Cause::keepalive_failed ||
           c == Cause::timer_fin_wait_2;
}

// The moment an endpoint began to close: FIN-WAIT-1 by close() or
// shutdown(), or CLOSED straight from a synchronized state by a RST it sent.
std::optional<Instant> began_closing(const Endpoint& e) {
    for (const auto& c : e.path) {
        if (c.to == TcpState::fin_wait_1) return c.at;
        if (c.to == TcpState::closed && (c.cause == Cause::app_abort || c.cause == Cause::send_rst ||
                                         (c.cause == Cause::app_close && c.from != TcpState::syn_sent &&
                                          c.from != TcpState::listen)))
            return c.at;
    }
    return std::nullopt;
}

bool reset_by_itself(const Endpoint& e) {
    for (const auto& c : e.path)
        if (c.to == TcpState::closed &&
            (c.cause == Cause::app_abort || c.cause == Cause::send_rst ||
             (c.cause == Cause::app_close && c.from != TcpState::fin_wait_1 && c.from != TcpState::fin_wait_2 &&
              c.from != TcpState::closing && c.from != TcpState::last_ack && c.from != TcpState::time_wait &&
              c.from != TcpState::syn_sent)))
            return true;
    return false;
}

ResetPhase phase_of(TcpState s) {
    switch (s) {
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::listen:
    case TcpState::closed: return ResetPhase::handshake;
    case TcpState::established: return ResetPhase::established;
    case TcpState::time_wait: return ResetPhase::time_wait;
    case TcpState::fin_wait_1:
    case TcpState::fin_wait_2:
    case TcpState::close_wait:
    case TcpState::closing:
    case TcpState::last_ack: return ResetPhase::closing;
    }
    return ResetPhase::established;
}

// Whether anything of the peer reached `e`'s host for this connection at or after `since`.
bool heard_after(const Run& run, const Endpoint& e, Instant since) {
    for (const auto& t : run.transmissions) {
        if (t.to != e.host || t.fate != Transmission::Fate::delivered || t.arrives < since) continue;
        const auto& s = t.segment;
        if (s.dst == e.tuple.local.addr && s.tcp.dst_port == e.tuple.local.port && s.src == e.tuple.remote.addr &&
            s.tcp.src_port == e.tuple.remote.port)
            return true;
    }
    return false;
}

void judge(const Run& run, ConnectionOutcome& o) {
    const Endpoint& c = o.client;
    const Endpoint* s = o.server ? &*o.server : nullptr;
    o.client_time_wait = c.went_through(TcpState::time_wait);
    o.server_time_wait = s && s->went_through(TcpState::time_wait);

    // Who began the close: the first FIN or RST.
    const auto c_close = began_closing(c);
    const auto s_close = s ? began_closing(*s) : std::nullopt;
    const bool crossing = c.went_through(TcpState::closing) || (s && s->went_through(TcpState::closing));
    if (crossing) o.closer = Closer::both;
    else if (c_close && (!s_close || *c_close <= *s_close)) o.closer = Closer::client;
    else if (s_close) o.closer = Closer::server;

    // Refused: the SYN answered by RST.
    for (const auto& ch : c.path)
        if (ch.from == TcpState::syn_sent && ch.to == TcpState::closed && ch.cause == Cause::recv_rst) {
            o.ending = Ending::refused;
            o.reset_by = Side::server;
            o.reset_phase = ResetPhase::handshake;
            if (o.closer == Closer::none) o.closer = Closer::server;
            return;
        }
    // Reset: a RST accepted by either end, or one an end sent as it closed.
    const auto accepted = [&](const Endpoint& e) -> std::optional<TcpState> {
        for (const auto& ch : e.path)
            if (ch.cause == Cause::recv_rst && ch.to == TcpState::closed) return ch.from;
        return std::nullopt;
    };
    if (const auto from = accepted(c)) {
        o.ending = Ending::reset;
        o.reset_by = Side::server;
        o.reset_phase = phase_of(*from);
    } else if (const auto sfrom = s ? accepted(*s) : std::nullopt) {
        o.ending = Ending::reset;
        o.reset_by = Side::client;
        o.reset_phase = phase_of(*sfrom);
    } else if (reset_by_itself(c) || (s && reset_by_itself(*s))) {
        o.ending = Ending::reset;
        o.reset_by = reset_by_itself(c) ? Side::client : Side::server;
        o.reset_phase = ResetPhase::established;
    }
    if (o.ending == Ending::reset) {
        if (o.closer == Closer::none) o.closer = *o.reset_by == Side::client ? Closer::client : Closer::server;
        return;
    }
    // Given up: a timer ran out. Unanswered when nothing came back after the SYN or FIN.
    for (const Endpoint* e : {&c, s}) {
        if (!e) continue;
        for (const auto& ch : e->path) {
            if (!is_give_up(ch.cause)) continue;
            o.ending = Ending::timeout;
            if (ch.from == TcpState::syn_sent) o.ending = Ending::unanswered;
            const auto since = began_closing(*e);
            if ((ch.from == TcpState::fin_wait_1 || ch.from == TcpState::closing || ch.from == TcpState::last_ack) &&
                since && !heard_after(run, *e, *since))
                o.ending = Ending::unanswered;
            return;
        }
    }
    const bool both_closed = c.final_state() == TcpState::closed && s && s->final_state() == TcpState::closed;
    const bool c_fin = c.went_through(TcpState::fin_wait_1) || c.went_through(TcpState::last_ack);
    const bool s_fin = s && (s->went_through(TcpState::fin_wait_1) || s->went_through(TcpState::last_ack));
    if (both_closed && c_fin && s_fin && !c.crashed && !s->crashed) {
        o.ending = Ending::graceful;
        if (crossing) o.pattern = Pattern::simultaneous;
        else {
            o.pattern = Pattern::four_way;
            for (const Endpoint* e : {&c, s})
                for (const auto& ch : e->path)
                    if (ch.from == TcpState::fin_wait_1 && ch.to == TcpState::time_wait) o.pattern = Pattern::three_way;
        }
        return;
    }
    if (c_fin || s_fin) {
        o.ending = Ending::half_open;
        return;
    }
    if (c.final_state() == TcpState::syn_sent) o.ending = Ending::unanswered;
    else o.ending = Ending::open;
}

} // namespace

std::vector<ConnectionOutcome> outcomes(const Scenario& scenario, const Run& run) {
    std::vector<Endpoint> clients;
    std::vector<Endpoint> servers;
    // The endpoint a change belongs to: the latest one of that host and 4-tuple.
    const auto latest = [](std::vector<Endpoint>& v, int host, const wire::FourTuple& t) -> Endpoint* {
        for (auto it = v.rbegin(); it != v.rend(); ++it)
            if (it->host == host && it->tuple == t) return &*it;
        return nullptr;
    };
    for (const auto& e : run.trace) {
        if (e.kind == TraceEntry::Kind::note && e.text.find("crashes") != std::string::npos) {
            for (auto* v : {&clients, &servers})
                for (auto& ep : *v)
                    if (ep.host == e.host && ep.final_state() != TcpState::closed) ep.crashed = true;
            continue;
        }
        if (e.kind != TraceEntry::Kind::change) continue;
        const auto& ch = e.change;
        if (ch.from == TcpState::closed && ch.cause == Cause::app_connect) {
            clients.push_back({e.host, e.tuple, {ch}, false});
            continue;
        }
        if (ch.from == TcpState::closed && ch.to == TcpState::syn_received) {
            servers.push_back({e.host, e.tuple, {ch}, false});
            continue;
        }
        if (Endpoint* ep = latest(clients, e.host, e.tuple); ep && !ep->crashed) ep->path.push_back(ch);
        else if (Endpoint* sp = latest(servers, e.host, e.tuple); sp && !sp->crashed) sp->path.push_back(ch);
    }
    std::vector<ConnectionOutcome> out;
    std::vector<bool> taken(servers.size(), false);
    for (auto& c : clients) {
        ConnectionOutcome o;
        o.client = c;
        // Its server end: the first not yet matched with the 4-tuple seen from the other side, begun after it.
        for (std::size_t i = 0; i < servers.size(); ++i) {
            if (taken[i] || servers[i].tuple != flipped(c.tuple) || servers[i].path.front().at < c.path.front().at)
                continue;
            taken[i] = true;
            o.server = servers[i];
            break;
        }
        judge(run, o);
        out.push_back(std::move(o));
    }
    (void)scenario;
    return out;
}

std::string describe(const ConnectionOutcome& c) {
    std::string s{to_string(c.ending)};
    if (c.pattern) s += " " + std::string{to_string(*c.pattern)};
    if (c.closer == Closer::both) s += ", both ends closing at once";
    else if (c.closer != Closer::none) s += ", begun by the " + std::string{to_string(c.closer)};
    if (c.reset_by) s += ", RST from the " + std::string{to_string(*c.reset_by)} + " in " + std::string{to_string(*c.reset_phase)};
    if (c.client_time_wait || c.server_time_wait)
        s += c.client_time_wait && c.server_time_wait ? ", TIME_WAIT on both ends"
             : c.client_time_wait                     ? ", TIME_WAIT on the client"
                                                      : ", TIME_WAIT on the server";
    return s;
}

namespace {

std::string side_word(const Scenario& sc, const ConnectionOutcome& c, const std::string& v) {
    // Host names stand for the role that host had in this connection.
    if (const int h = sc.host_index(v); h >= 0) return h == c.client.host ? "client" : "server";
    return v;
}

std::string time_wait_word(const ConnectionOutcome& c) {
    if (c.client_time_wait && c.server_time_wait) return "both";
    if (c.client_time_wait) return "client";
    if (c.server_time_wait) return "server";
    return "none";
}

} // namespace

std::vector<CheckResult> check(const Scenario& sc, const Run& run, const std::vector<ConnectionOutcome>& conns) {
    std::vector<CheckResult> out;
    const auto report = [&](int line, bool ok, const std::string& what) {
        out.push_back({ok, line, sc.file + ":" + std::to_string(line) + ": " + what});
    };
    if (!run.quiet)
        report(0, false, "the run was still going at `until` (" + std::to_string((run.end - run.start).count_seconds()) +
                             " s of virtual time): something is stuck or `until` is too short");
    for (const auto& x : sc.expect) {
        const std::string head = x.key.substr(0, x.key.find('.'));
        std::string host = x.key.find('.') == std::string::npos ? "" : x.key.substr(x.key.find('.') + 1);
        std::string counter;
        if (head == "counter") {
            counter = host.substr(host.find('.') + 1);
            host = host.substr(0, host.find('.'));
        }
        const int h = host.empty() ? -1 : sc.host_index(host);
        if (head == "anomalies") continue;  // the analyzer's to check, on the run's capture
        if (head == "connections") {
            report(x.line, std::to_string(conns.size()) == x.values[0],
                   "connections: " + std::to_string(conns.size()) + ", the scenario expects " + x.values[0]);
            continue;
        }
        if (head == "within") {
            const Duration took = run.end - run.start;
            report(x.line, run.quiet && took <= *parse_duration(x.values[0]),
                   "within: the run took " + std::to_string(took.count_seconds()) + " s, the scenario expects at most " +
                       x.values[0]);
            continue;
        }
        if (h >= 0) {
            const HostResult& r = run.hosts[static_cast<std::size_t>(h)];
            if (head == "counter") {
                const auto got = r.mib[*engine::counter_named(counter)];
                report(x.line, std::to_string(got) == x.values[0],
                       host + "'s " + counter + " is " + std::to_string(got) + ", the scenario expects " + x.values[0]);
            } else if (head == "delivered") {
                report(x.line, std::to_string(r.bytes_read) == x.values[0],
                       host + " read " + std::to_string(r.bytes_read) + " bytes, the scenario expects " + x.values[0]);
            } else if (head == "error") {
                const std::string got = r.last_error == engine::Errno::none ? "none" : std::string{engine::to_string(r.last_error)};
                report(x.line, got == x.values[0], host + "'s application saw " + got + ", the scenario expects " + x.values[0]);
            } else if (head == "state" || head == "causes") {
                // The host's endpoints in this run, newest last.
                std::vector<const Endpoint*> eps;
                for (const auto& c : conns) {
                    if (c.client.host == h) eps.push_back(&c.client);
                    if (c.server && c.server->host == h) eps.push_back(&*c.server);
                }
                if (head == "state") {
                    const std::string got = eps.empty() ? "none" : std::string{to_string(eps.back()->final_state())};
                    report(x.line, got == x.values[0], host + "'s connection ended in " + got + ", the scenario expects " + x.values[0]);
                } else {
                    for (const auto& v : x.values) {
                        const auto cause = parse_word<Cause>(v);
                        const bool seen = std::any_of(eps.begin(), eps.end(), [&](const Endpoint* e) { return e->has_cause(*cause); });
                        report(x.line, seen, host + ": no state change had cause " + v + ", which the scenario expects");
                    }
                }
            }
            continue;
        }
        // Per connection: one value for all of them, or one for each in order.
        if (conns.empty()) {
            report(x.line, false, x.key + ": the run made no connection");
            continue;
        }
        if (x.values.size() > 1 && x.values.size() != conns.size()) {
            report(x.line, false, x.key + " lists " + std::to_string(x.values.size()) + " values for " +
                                      std::to_string(conns.size()) + " connections");
            continue;
        }
        for (std::size_t i = 0; i < conns.size(); ++i) {
            const auto& c = conns[i];
            const std::string want = side_word(sc, c, x.values.size() == 1 ? x.values[0] : x.values[i]);
            std::string got;
            if (head == "ending") got = to_string(c.ending);
            else if (head == "closer") got = to_string(c.closer);
            else if (head == "pattern") got = c.pattern ? std::string{to_string(*c.pattern)} : "none";
            else if (head == "reset_by") got = c.reset_by ? std::string{to_string(*c.reset_by)} : "none";
            else if (head == "time_wait") got = time_wait_word(c);
            const std::string which = conns.size() > 1 ? " of connection " + std::to_string(i + 1) : "";
            report(x.line, got == want, x.key + which + " is " + got + ", the scenario expects " + want);
        }
    }
    return out;
}

std::string verdict(const Scenario& sc, const std::vector<ConnectionOutcome>& conns) {
    std::string out = sc.verdict;
    std::string what;
    for (std::size_t i = 0; i < conns.size(); ++i) what += (i ? "; " : "") + describe(conns[i]);
    if (out.empty()) return what;
    return out + " [" + what + "]";
}

} // namespace teardown::sim
