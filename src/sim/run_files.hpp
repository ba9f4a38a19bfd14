#pragma once
// A run's segments as a capture, and its state changes as JSON lines.
#include <string>

#include "core/result.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::sim {

// Every segment that left a host, at the moment it left (what a capture on
// the sender's link would hold: lost ones too, duplicates twice), as
// Ethernet frames. The count written.
Result<std::size_t> write_run_pcap(const Scenario& scenario, const Run& run, const std::string& path);

// Several runs in one capture, each moved by its `shift` in time so that
// they follow one another.
struct RunInCapture {
    const Scenario* scenario;
    const Run* run;
    Duration shift{};
};
Result<std::size_t> write_runs_pcap(const std::vector<RunInCapture>& runs, const std::string& path);

// One JSON object a line for every state change and application call:
// {"t": seconds since the start, "host", "kind", ...}. The count written.
Result<std::size_t> write_run_events(const Scenario& scenario, const Run& run, const std::string& path);

} // namespace teardown::sim
