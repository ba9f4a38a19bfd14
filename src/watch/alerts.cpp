#include "watch/alerts.hpp"

#include <cerrno>
#include <cstdio>

namespace teardown::watch {

std::string_view to_string(Alert::Kind k) {
    switch (k) {
    case Alert::Kind::close_wait_stuck: return "close_wait_stuck";
    case Alert::Kind::fin_wait_2_stuck: return "fin_wait_2_stuck";
    case Alert::Kind::time_wait_build_up: return "time_wait_build_up";
    case Alert::Kind::rst_storm: return "rst_storm";
    case Alert::Kind::retransmit_give_up: return "retransmit_give_up";
    }
    return "?";
}

namespace {

std::string owner(std::uint32_t pid, const std::string& comm) {
    if (pid == 0) return "an unknown process";
    return comm + " (pid " + std::to_string(pid) + ")";
}

std::string seconds(Duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", d.count_seconds());
    return buf;
}

} // namespace

void AlertRules::on_open(const LifecycleTracker::Open& c, Instant now, std::vector<Alert>& out) {
    const Duration age = now - c.since;
    const bool close_wait = c.state == KernelState::close_wait && age >= limits_.close_wait;
    const bool fin_wait_2 = c.state == KernelState::fin_wait2 && age >= limits_.fin_wait_2;
    if (!(close_wait || fin_wait_2) || !flagged_.insert(c.cookie).second) return;
    Alert a;
    a.at = now;
    a.cookie = c.cookie;
    a.pid = c.pid;
    const std::string conn = c.tuple.local.to_string() + " - " + c.tuple.remote.to_string();
    if (close_wait) {
        a.kind = Alert::Kind::close_wait_stuck;
        a.text = conn + ": CLOSE_WAIT for " + seconds(age) + ": the peer closed, " + owner(c.pid, *c.comm) +
                 " has not (an application that never closes)";
    } else {
        a.kind = Alert::Kind::fin_wait_2_stuck;
        a.text = conn + ": FIN_WAIT_2 for " + seconds(age) + ": we closed, the peer never sent its FIN";
    }
    out.push_back(std::move(a));
}

void AlertRules::on_table(const std::vector<DiagSocket>& table, Instant now, std::vector<Alert>& out) {
    std::map<wire::Endpoint, std::size_t> per_peer;
    std::map<std::uint64_t, Instant> fin_wait_2;
    for (const auto& s : table) {
        if (s.state == KernelState::time_wait) ++per_peer[s.tuple.remote];
        if (s.state != KernelState::fin_wait2) continue;
        const auto seen = fin_wait_2_seen_.find(s.cookie);
        const Instant since = seen == fin_wait_2_seen_.end() ? now : seen->second;
        fin_wait_2.emplace(s.cookie, since);
        if (now - since >= limits_.fin_wait_2 && flagged_.insert(s.cookie).second) {
            Alert a;
            a.kind = Alert::Kind::fin_wait_2_stuck;
            a.at = now;
            a.cookie = s.cookie;
            a.text = s.tuple.local.to_string() + " - " + s.tuple.remote.to_string() + ": FIN_WAIT_2 for " + seconds(now - since) +
                     ": we closed, the peer never sent its FIN" + (s.inode == 0 ? " (an orphan: no process holds it)" : "");
            out.push_back(std::move(a));
        }
    }
    fin_wait_2_seen_ = std::move(fin_wait_2);
    for (const auto& [peer, n] : per_peer) {
        if (n < limits_.time_wait_per_peer || !build_up_.insert(peer).second) continue;
        Alert a;
        a.kind = Alert::Kind::time_wait_build_up;
        a.at = now;
        a.text = std::to_string(n) + " connections to " + peer.to_string() +
                 " in TIME_WAIT: this side closes first and opens new connections fast (ports run short)";
        out.push_back(std::move(a));
    }
}

void AlertRules::on_record(const WatchRecord& r, std::vector<Alert>& out) {
    forget(r.cookie);
    if (r.ending != Ending::timeout && !(r.ending == Ending::unanswered && r.error == ETIMEDOUT)) return;
    Alert a;
    a.kind = Alert::Kind::retransmit_give_up;
    a.at = r.closed;
    a.cookie = r.cookie;
    a.pid = r.pid;
    a.text = r.tuple.local.to_string() + " - " + r.tuple.remote.to_string() + ": given up after " +
             std::to_string(r.retransmissions) + " retransmissions (ETIMEDOUT): the peer vanished";
    out.push_back(std::move(a));
}

void AlertRules::on_resets(std::uint64_t n, Instant now, std::vector<Alert>& out) {
    if (n < limits_.resets_per_second || now < storm_until_) return;
    storm_until_ = now + Duration::seconds(10);  // one alert per storm, not per second
    Alert a;
    a.kind = Alert::Kind::rst_storm;
    a.at = now;
    a.text = std::to_string(n) + " RSTs in one second: a scan, a crashed peer or an attack";
    out.push_back(std::move(a));
}

} // namespace teardown::watch
