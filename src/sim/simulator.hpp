#pragma once
// The discrete-event simulator: a scenario's hosts, each a Stack driven by
// its scripted application, joined by impaired links, run in virtual time.
// Deterministic: the same scenario and seed give the same run, segment for
// segment. What it returns is the whole story: every segment that crossed
// or tried to (with its fate), and every call, timer and state change in
// the order they happened, for the ladder, the pcap, the event log and the
// verdict.
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/vocabulary.hpp"
#include "engine/errno.hpp"
#include "engine/mib.hpp"
#include "engine/segment.hpp"
#include "sim/scenario.hpp"

namespace teardown::sim {

struct Transmission {
    enum class Fate : std::uint8_t {
        delivered,
        lost,       // lost on the link (random loss, an [[impair]], an explored schedule)
        cut,        // a partition was in the way
        no_host,    // addressed to nobody (the replies to a flood's forged sources)
        host_down,  // arrived at a crashed host
    };
    std::uint64_t id{0};
    int from{-1};           // host index
    int to{-1};             // host index, -1 for no host
    Instant sent{};
    Instant arrives{};      // when it arrived, or would have
    engine::Segment segment;
    Fate fate{Fate::delivered};
    std::string why;        // what lost, delayed or duplicated it
    bool copy{false};       // a duplicate of the one before it
    bool forged{false};     // its source address is not its sender's (a flood)
    std::int32_t closing_ordinal{-1};  // its place among segments sent in the closing phase
};

std::string_view to_string(Transmission::Fate f);

// What happened, in the order it happened.
struct TraceEntry {
    enum class Kind : std::uint8_t {
        send,     // `transmission` left `host`
        deliver,  // `transmission` reached `host`; the changes after it are its doing
        call,     // the application on `host` did `text`; the changes after it are its doing
        timer,    // a timer of `host` fired; the changes after it are its doing
        change,   // a state change of `host`'s connection `tuple`
        note,     // anything else worth saying (`text`): a crash, an error the app saw
    };
    Kind kind{Kind::note};
    Instant at{};
    int host{-1};
    std::uint64_t transmission{0};
    std::string text;
    wire::FourTuple tuple;
    StateChange change;
};

// The trace's record of anything but a state change.
inline TraceEntry trace_entry(TraceEntry::Kind kind, Instant at, int host, std::string text = {}, std::uint64_t transmission = 0) {
    TraceEntry t;
    t.kind = kind;
    t.at = at;
    t.host = host;
    t.text = std::move(text);
    t.transmission = transmission;
    return t;
}

// The trace's record of a state change of `host`'s connection `tuple`.
inline TraceEntry change_entry(int host, const wire::FourTuple& tuple, const StateChange& change) {
    TraceEntry t;
    t.kind = TraceEntry::Kind::change;
    t.at = change.at;
    t.host = host;
    t.tuple = tuple;
    t.change = change;
    return t;
}

struct HostResult {
    std::uint64_t bytes_sent{0};
    std::uint64_t bytes_read{0};
    engine::Errno last_error{engine::Errno::none};
    std::size_t steps_done{0};
    bool app_finished{false};   // every step ran to its end
    std::size_t endpoints_left{0};    // connections, TIME-WAIT entries and timers at the end
    std::size_t time_wait_left{0};
    std::size_t timers_left{0};
    engine::Mib mib;            // the Stack's counters (its latest Stack's, after a reboot)
};

struct Run {
    std::vector<Transmission> transmissions;
    std::vector<TraceEntry> trace;
    std::vector<HostResult> hosts;
    Instant start{};
    Instant end{};
    bool quiet{false};          // ended with nothing left to happen, within `until`
};

// Losses and delays an exploration forces on closing-phase segments, by
// their closing ordinal: drop (true) or hold back past the next ones (false).
struct Schedule {
    std::vector<std::pair<std::uint32_t, bool>> actions;
};

Run simulate(const Scenario& scenario, const Schedule& forced = {});

// The host-local wall clock a run starts at: a fixed, recent-looking time so
// that pcaps and logs read naturally.
inline constexpr Instant k_run_start = Instant::from_seconds(1'767'225'600);  // 2026-01-01 00:00:00 UTC

} // namespace teardown::sim
