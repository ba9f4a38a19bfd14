#include "cli/run_ladder.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "analyze/closing_packet.hpp"

namespace teardown::cli {

namespace {

std::string change_text(const std::string& host, const StateChange& c) {
    return host + " " + report::state_name(c.from) + "->" + report::state_name(c.to) + " (" + std::string{to_string(c.cause)} + ")";
}

void append(std::string& note, const std::string& more) {
    if (!note.empty()) note += "; ";
    note += more;
}

} // namespace

report::LadderArrow::Tone tone_of(wire::TcpFlags flags, bool closing, bool data) {
    using Tone = report::LadderArrow::Tone;
    return flags.rst_set() ? Tone::reset : closing ? Tone::closing : data ? Tone::data : Tone::plain;
}

void print_scenario_heading(const sim::Scenario& sc, const Palette& p) {
    std::printf("%s== %s%s%s\n", p.bold, sc.name.c_str(), sc.seed_section.empty() ? "" : (" (seed " + sc.seed_section + ")").c_str(),
                p.reset);
    if (!sc.summary.empty()) std::printf("%s\n\n", sc.summary.c_str());
}

bool print_failed_checks(const std::vector<sim::CheckResult>& checks, const Palette& p) {
    bool all = true;
    for (const auto& c : checks)
        if (!c.ok) {
            all = false;
            std::printf("%sFAIL%s %s\n", p.red, p.reset, c.message.c_str());
        }
    return all;
}

report::Ladder ladder_of_run(const sim::Scenario& sc, const sim::Run& run) {
    using sim::TraceEntry;
    using sim::Transmission;
    report::Ladder ladder;
    for (const auto& h : sc.hosts) ladder.lanes.push_back(h.name + " " + h.address.to_string());
    const auto is_host = [&](const wire::IpAddress& a) {
        return std::any_of(sc.hosts.begin(), sc.hosts.end(), [&](const sim::HostSpec& h) { return h.address == a; });
    };
    analyze::ClosingClassifier classifier;
    std::map<std::tuple<wire::IpAddress, std::uint16_t, wire::IpAddress, std::uint16_t>, SeqNum> isn;  // per direction
    std::map<std::uint64_t, std::size_t> row_of;  // transmission -> row
    std::optional<std::size_t> context;           // the row the next state changes belong to
    std::map<std::string, std::pair<std::size_t, std::size_t>> folded;  // flood rows: kind -> row, count
    std::size_t forged_changes = 0;
    std::optional<TraceEntry> pending_timer;

    const auto add_row = [&](report::LadderArrow a) {
        ladder.arrows.push_back(std::move(a));
        return ladder.arrows.size() - 1;
    };
    for (const auto& e : run.trace) {
        const std::string& host = sc.hosts[static_cast<std::size_t>(e.host)].name;
        switch (e.kind) {
        case TraceEntry::Kind::send: {
            const Transmission& t = run.transmissions[e.transmission];
            const auto& s = t.segment;
            const bool flood_part = t.forged || !is_host(s.dst);
            if (flood_part) {
                // One row for each kind of flood segment, counting them all.
                const std::string kind = std::to_string(t.from) + s.tcp.flags.to_tcpdump();
                const auto it = folded.find(kind);
                if (it != folded.end()) {
                    auto& [row, count] = it->second;
                    ++count;
                    ladder.arrows[row].label = s.tcp.flags.to_tcpdump() + " x" + std::to_string(count);
                    row_of[t.id] = row;
                    continue;
                }
                report::LadderArrow a;
                a.at = t.sent;
                a.from = t.from;
                a.to = t.to >= 0 ? t.to : (t.from == 0 ? 1 : 0);
                a.label = s.tcp.flags.to_tcpdump() + " x1";
                a.lost = t.fate != Transmission::Fate::delivered;
                a.note = t.forged ? "from forged sources in 203.0.113.0/24 (the first at this time)"
                                  : "to forged sources, nobody answers (the first at this time)";
                a.tone = tone_of(s.tcp.flags, false, false);
                const std::size_t row = add_row(std::move(a));
                folded[kind] = {row, 1};
                row_of[t.id] = row;
                continue;
            }
            const auto key = std::tuple{s.src, s.tcp.src_port, s.dst, s.tcp.dst_port};
            if (s.tcp.flags.syn_set()) isn[key] = s.tcp.seq;
            const auto back = std::tuple{s.dst, s.tcp.dst_port, s.src, s.tcp.src_port};
            const auto rel = [&](const auto& k, SeqNum v) -> std::string {
                const auto it = isn.find(k);
                return std::to_string(it == isn.end() ? v.raw() : (v - it->second));
            };
            std::string label = s.tcp.flags.to_tcpdump() + " " + rel(key, s.tcp.seq);
            if (s.tcp.flags.ack_set()) label += " ack " + rel(back, s.tcp.ack);
            if (!s.payload.empty()) label += " len " + std::to_string(s.payload.size());
            const auto role = classifier.on_segment({s.src, s.tcp.src_port}, {s.dst, s.tcp.dst_port}, s.tcp.flags,
                                                    s.tcp.seq, s.tcp.ack, static_cast<std::uint32_t>(s.payload.size()), t.sent);
            report::LadderArrow a;
            a.at = t.sent;
            a.arrives = t.fate == Transmission::Fate::delivered ? t.arrives : Instant::never();
            a.from = t.from;
            a.to = t.to;
            a.label = std::move(label);
            a.lost = t.fate != Transmission::Fate::delivered;
            a.tone = tone_of(s.tcp.flags, role.is_closing(), !s.payload.empty());
            if (role.is_closing()) a.note = role.text();
            if (t.copy) append(a.note, "duplicate");
            if (!t.why.empty()) append(a.note, t.why);
            if (t.fate == Transmission::Fate::host_down) append(a.note, "the host is down");
            row_of[t.id] = add_row(std::move(a));
            continue;
        }
        case TraceEntry::Kind::deliver: {
            const auto it = row_of.find(e.transmission);
            context = it == row_of.end() ? std::nullopt : std::optional{it->second};
            pending_timer.reset();
            continue;
        }
        case TraceEntry::Kind::call:
        case TraceEntry::Kind::note: {
            report::LadderArrow a;
            a.kind = report::LadderArrow::Kind::note;
            a.at = e.at;
            a.from = e.host;
            a.note = host + ": " + e.text;
            context = add_row(std::move(a));
            pending_timer.reset();
            continue;
        }
        case TraceEntry::Kind::timer:
            pending_timer = e;
            context.reset();
            continue;
        case TraceEntry::Kind::change: {
            if (!is_host(e.tuple.remote.addr) && e.change.to != TcpState::listen && e.change.from != TcpState::listen) {
                ++forged_changes;  // a flood's half-open requests: counted, not drawn
                continue;
            }
            if (!context && pending_timer) {
                report::LadderArrow a;
                a.kind = report::LadderArrow::Kind::note;
                a.at = e.at;
                a.from = e.host;
                a.note = host + ": timer";
                context = add_row(std::move(a));
                pending_timer.reset();
            }
            if (!context) {
                report::LadderArrow a;
                a.kind = report::LadderArrow::Kind::note;
                a.at = e.at;
                a.from = e.host;
                context = add_row(std::move(a));
            }
            append(ladder.arrows[*context].note, change_text(host, e.change));
            continue;
        }
        }
    }
    if (forged_changes > 0) {
        report::LadderArrow a;
        a.kind = report::LadderArrow::Kind::note;
        a.at = run.end;
        a.from = 0;
        a.note = std::to_string(forged_changes) + " state changes of half-open requests from forged sources not drawn";
        ladder.arrows.push_back(std::move(a));
    }
    return ladder;
}

} // namespace teardown::cli
