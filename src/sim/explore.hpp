#pragma once
// Exhaustive exploration of a scenario's close: every schedule of up to K
// lost (and, with `reorder`, held-back) segments among those sent in the
// closing phase (from the first close(), shutdown(), abort, crash or
// vanish on), each run checked against the invariants of a correct close.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/outcome.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::sim {

struct ExploreLimits {
    std::uint32_t max_losses{2};
    bool reorder{false};
    std::uint64_t max_schedules{2'000'000};
};

struct Violation {
    Schedule schedule;
    std::string schedule_text;       // "lose #2 (F. from server), hold #4 (. from client)"
    std::vector<std::string> broken; // the invariants it broke, in words
};

struct Exploration {
    std::uint64_t schedules{0};
    std::uint64_t violations{0};
    bool complete{true};             // false: stopped at max_schedules
    std::optional<Violation> first_violation;
};

// The invariants of a correct close a run breaks: both ends CLOSED within
// `until`, nothing left behind, TIME_WAIT only on an end that closed first,
// no acknowledged data lost.
std::vector<std::string> broken_invariants(const Scenario& scenario, const Run& run,
                                           const std::vector<ConnectionOutcome>& conns);

Exploration explore(const Scenario& scenario, const ExploreLimits& limits);

} // namespace teardown::sim
