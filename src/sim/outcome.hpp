#pragma once
// How each connection of a run ended, in the words of VOCABULARY.md, worked
// out from the engines' own state changes (the simulator's ground truth,
// where the analyzer has to infer the same from packets), and the check of
// a scenario's [expect] against it.
#include <optional>
#include <string>
#include <vector>

#include "core/vocabulary.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::sim {

struct Endpoint {
    int host{-1};
    wire::FourTuple tuple;        // local = this host
    std::vector<StateChange> path;
    bool crashed{false};          // its host crashed while it was open
    TcpState final_state() const { return crashed || path.empty() ? TcpState::closed : path.back().to; }
    bool went_through(TcpState s) const;
    bool has_cause(Cause c) const;
};

struct ConnectionOutcome {
    Endpoint client;
    std::optional<Endpoint> server;  // none when the SYN never reached a listener
    Ending ending{Ending::open};
    Closer closer{Closer::none};
    std::optional<Pattern> pattern;
    std::optional<Side> reset_by;
    std::optional<ResetPhase> reset_phase;
    bool client_time_wait{false};
    bool server_time_wait{false};
};

// Connections in the order their SYNs were sent; a flood's forged ones are left out.
std::vector<ConnectionOutcome> outcomes(const Scenario& scenario, const Run& run);

struct CheckResult {
    bool ok{true};
    int line{0};
    std::string message;  // "FILE:LINE: ending is reset, the scenario expects graceful"
};

// Every [expect] line against the run, and the run's own invariants: it
// ended within `until` with nothing left to happen.
std::vector<CheckResult> check(const Scenario& scenario, const Run& run, const std::vector<ConnectionOutcome>& conns);

// One line in the seed's words: the scenario's `verdict` with the ending filled in.
std::string verdict(const Scenario& scenario, const std::vector<ConnectionOutcome>& conns);

// "graceful four_way close by the client, TIME_WAIT on the client"
std::string describe(const ConnectionOutcome& c);

} // namespace teardown::sim
