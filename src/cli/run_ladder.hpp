#pragma once
// A simulator run as a ladder: one lane per host, an arrow per segment
// (numbered from each direction's ISN, as tcpdump does), every packet's role
// in the close, and each host's state changes beside the arrow, call or
// timer that caused them. A flood's forged segments fold into one row.
#include "report/ladder.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::cli {

report::Ladder ladder_of_run(const sim::Scenario& scenario, const sim::Run& run);

} // namespace teardown::cli
