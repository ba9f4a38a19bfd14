#pragma once
// Our Stack on the TUN device, in real time: what the kernel sends comes in
// through the scenario's link (its [[impair]] rules, loss, delay,
// duplication and partitions, the same code as the simulator's), what our
// Stack sends goes out through it, and our side runs either scripted steps
// (a scenario host's `app`) or a service. The result is a sim::Run, so the
// ladder, the event log and the [expect] checks read it as they read a
// simulated one: host 0 is the kernel, host 1 is us.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "lab/services.hpp"
#include "lab/tun_device.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::lab {

inline constexpr int k_kernel = 0;
inline constexpr int k_ours = 1;

struct LabPlan {
    // hosts[k_kernel]: the kernel's address (its config is only for the
    // capture's option layout); hosts[k_ours]: our address, Config and app.
    sim::Scenario scenario;
    std::optional<ServiceKind> service;
    std::uint16_t port{0};            // the service's port
    std::uint64_t connections{0};     // stop once the service has finished this many (0: no limit)
    // Stop once the app's steps are done and our Stack holds nothing (no
    // connection, no TIME-WAIT entry).
    bool stop_when_done{true};
    Duration limit{Duration::seconds(120)};  // wall time at most
    std::string pcap;                 // what crossed the TUN device, as raw IP
    bool trace{true};                 // keep every segment and change (off for long benchmark runs)
};

struct LabResult {
    sim::Run run;
    std::uint64_t served{0};          // connections the service finished
    std::uint64_t responses{0};
    bool timed_out{false};            // `limit` ended it
    std::uint64_t ignored{0};         // packets from the kernel that were not TCP for us (IPv6 ND, MLD, ...)
    std::uint64_t bad_checksums{0};
};

// Runs until the plan's end, `stop`, or a TUN error. Once `wind_down` is
// set (the kernel-side program is done) it ends as soon as no connection is
// left but TIME-WAIT entries, or `linger` later at the latest.
Result<LabResult> run_lab(TunDevice& tun, const LabPlan& plan, const std::atomic<bool>& stop,
                          const std::atomic<bool>& wind_down, Duration linger = Duration::seconds(3));

} // namespace teardown::lab
