#pragma once
// A simulator run as a ladder: one lane per host, an arrow per segment
// (numbered from each direction's ISN, as tcpdump does), every packet's role
// in the close, and each host's state changes beside the arrow, call or
// timer that caused them. A flood's forged segments fold into one row.
#include <vector>

#include "cli/commands.hpp"
#include "report/ladder.hpp"
#include "sim/outcome.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::cli {

report::Ladder ladder_of_run(const sim::Scenario& scenario, const sim::Run& run);

// An arrow's colour: RSTs, the packets of a close, data, the rest.
report::LadderArrow::Tone tone_of(wire::TcpFlags flags, bool closing, bool data);

// "== name (seed §2)" and the scenario's summary, as `sim run` and `demo` head a run.
void print_scenario_heading(const sim::Scenario& scenario, const Palette& p);
// Prints each expectation that did not hold; whether all held.
bool print_failed_checks(const std::vector<sim::CheckResult>& checks, const Palette& p);

} // namespace teardown::cli
