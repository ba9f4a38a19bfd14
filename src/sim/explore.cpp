#include "sim/explore.hpp"

#include <map>

namespace teardown::sim {

namespace {

// Data bytes of `from`'s direction that ACKs reaching `from` acknowledged.
std::uint64_t acknowledged(const Run& run, const Endpoint& from) {
    std::optional<SeqNum> isn;
    std::uint32_t best = 0;
    for (const auto& t : run.transmissions) {
        const auto& s = t.segment;
        const bool outbound = s.src == from.tuple.local.addr && s.tcp.src_port == from.tuple.local.port &&
                              s.dst == from.tuple.remote.addr && s.tcp.dst_port == from.tuple.remote.port;
        const bool inbound = s.dst == from.tuple.local.addr && s.tcp.dst_port == from.tuple.local.port &&
                             s.src == from.tuple.remote.addr && s.tcp.src_port == from.tuple.remote.port;
        if (outbound && s.tcp.flags.syn_set() && !isn) isn = s.tcp.seq;
        if (!inbound || !isn || t.fate != Transmission::Fate::delivered || !s.tcp.flags.ack_set() || s.tcp.flags.rst_set())
            continue;
        const std::uint32_t covered = s.tcp.ack - (*isn + 1u);
        if (covered < (1u << 31)) best = std::max(best, covered);
    }
    return best;
}

std::string describe_ordinal(const Run& run, std::uint32_t ordinal, const Scenario& sc) {
    for (const auto& t : run.transmissions)
        if (t.closing_ordinal == static_cast<std::int32_t>(ordinal))
            return t.segment.tcp.flags.to_tcpdump() + " from " + sc.hosts[static_cast<std::size_t>(t.from)].name;
    return "?";
}

} // namespace

std::vector<std::string> broken_invariants(const Scenario& sc, const Run& run, const std::vector<ConnectionOutcome>& conns) {
    std::vector<std::string> out;
    if (!run.quiet) out.push_back("the run had not settled after " + std::to_string(sc.until.count_seconds()) + " s of virtual time");
    for (std::size_t h = 0; h < run.hosts.size(); ++h) {
        const auto& r = run.hosts[h];
        if (r.endpoints_left > 0 || r.timers_left > 0)
            out.push_back(sc.hosts[h].name + " still holds " + std::to_string(r.endpoints_left) + " endpoints and " +
                          std::to_string(r.timers_left) + " timers");
    }
    std::map<int, std::uint64_t> acked_to;  // receiving host -> bytes its peers were told it has
    for (const auto& c : conns) {
        for (const Endpoint* e : {&c.client, c.server ? &*c.server : nullptr}) {
            if (!e) continue;
            if (e->final_state() != TcpState::closed)
                out.push_back(sc.hosts[static_cast<std::size_t>(e->host)].name + " ended in " +
                              std::string{to_string(e->final_state())} + ", not closed");
            if (e->went_through(TcpState::time_wait) && !e->went_through(TcpState::fin_wait_1))
                out.push_back(sc.hosts[static_cast<std::size_t>(e->host)].name + " held TIME_WAIT without having closed first");
        }
        if (c.server && c.ending != Ending::reset) {
            acked_to[c.server->host] += acknowledged(run, c.client);
            acked_to[c.client.host] += acknowledged(run, *c.server);
        }
    }
    for (const auto& [h, acked] : acked_to) {
        const auto& r = run.hosts[static_cast<std::size_t>(h)];
        std::uint64_t sent_by_peers = 0;
        for (std::size_t o = 0; o < run.hosts.size(); ++o)
            if (static_cast<int>(o) != h) sent_by_peers += run.hosts[o].bytes_sent;
        if (r.app_finished && r.bytes_read < std::min(acked, sent_by_peers))
            out.push_back(sc.hosts[static_cast<std::size_t>(h)].name + " acknowledged " + std::to_string(acked) +
                          " bytes but its application read only " + std::to_string(r.bytes_read));
    }
    return out;
}

Exploration explore(const Scenario& sc, const ExploreLimits& limits) {
    Exploration ex;
    // Depth first: a schedule only ever adds ordinals after its last one, so
    // each schedule is run once, and the run before its last action is the
    // same as its parent's.
    std::vector<std::pair<Schedule, std::uint32_t>> stack{{Schedule{}, 0}};
    while (!stack.empty()) {
        if (ex.schedules >= limits.max_schedules) {
            ex.complete = false;
            break;
        }
        auto [schedule, from] = std::move(stack.back());
        stack.pop_back();
        const Run run = simulate(sc, schedule);
        ++ex.schedules;
        const auto conns = outcomes(sc, run);
        auto broken = broken_invariants(sc, run, conns);
        if (!broken.empty()) {
            ++ex.violations;
            if (!ex.first_violation) {
                Violation v;
                v.schedule = schedule;
                for (const auto& [ordinal, drop] : schedule.actions) {
                    if (!v.schedule_text.empty()) v.schedule_text += ", ";
                    v.schedule_text += std::string{drop ? "lose" : "hold back"} + " closing segment #" +
                                       std::to_string(ordinal + 1) + " (" + describe_ordinal(run, ordinal, sc) + ")";
                }
                if (v.schedule_text.empty()) v.schedule_text = "nothing lost";
                v.broken = std::move(broken);
                ex.first_violation = std::move(v);
            }
        }
        if (schedule.actions.size() >= limits.max_losses) continue;
        std::uint32_t sent = 0;
        for (const auto& t : run.transmissions)
            if (t.closing_ordinal >= 0) sent = std::max(sent, static_cast<std::uint32_t>(t.closing_ordinal) + 1);
        for (std::uint32_t o = sent; o-- > from;) {
            for (const bool drop : {false, true}) {
                if (!drop && !limits.reorder) continue;
                Schedule next = schedule;
                next.actions.emplace_back(o, drop);
                stack.emplace_back(std::move(next), o + 1);
            }
        }
    }
    return ex;
}

} // namespace teardown::sim
