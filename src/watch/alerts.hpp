#pragma once
// The seed's "detect abnormal patterns": what a watch flags while it runs.
// Pure: fed the open connections, the socket table's gauges and the
// records, it says what is wrong, once per thing (a CLOSE_WAIT is flagged
// once, not every second).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "watch/lifecycle.hpp"
#include "watch/sock_diag.hpp"

namespace teardown::watch {

struct AlertLimits {
    Duration close_wait{Duration::seconds(60)};   // an application that never closes
    Duration fin_wait_2{Duration::seconds(60)};   // a peer that never closes its side
    std::size_t time_wait_per_peer{1000};         // TIME_WAIT build-up toward one remote endpoint
    std::size_t resets_per_second{100};           // a RST storm
};

struct Alert {
    enum class Kind : std::uint8_t { close_wait_stuck, fin_wait_2_stuck, time_wait_build_up, rst_storm, retransmit_give_up };
    Kind kind{Kind::close_wait_stuck};
    Instant at{};
    std::string text;   // one line in the seed's words
    std::uint64_t cookie{0};
    std::uint32_t pid{0};
};
std::string_view to_string(Alert::Kind k);

class AlertRules {
public:
    explicit AlertRules(AlertLimits limits) : limits_{limits} {}
    // Connections in CLOSE_WAIT or FIN_WAIT2 for too long.
    void on_open(const LifecycleTracker::Open& c, Instant now, std::vector<Alert>& out);
    // A sock_diag dump: TIME_WAIT per remote endpoint, and FIN_WAIT2 sockets
    // (orphans among them, which no tracepoint follows) by how long each has been seen.
    void on_table(const std::vector<DiagSocket>& table, Instant now, std::vector<Alert>& out);
    // A record: a retransmission give-up.
    void on_record(const WatchRecord& r, std::vector<Alert>& out);
    // Resets sent and received in the second ending at `now`.
    void on_resets(std::uint64_t resets_in_last_second, Instant now, std::vector<Alert>& out);
    void forget(std::uint64_t cookie) { flagged_.erase(cookie); }

private:
    AlertLimits limits_;
    std::set<std::uint64_t> flagged_;            // connections flagged already
    std::set<wire::Endpoint> build_up_;          // remote endpoints flagged already
    std::map<std::uint64_t, Instant> fin_wait_2_seen_;  // cookie -> first dump it was in FIN_WAIT2
    Instant storm_until_{};
};

} // namespace teardown::watch
