#pragma once
// The lab's run written in the simulator's scenario language: the kernel and
// our host, the [link], [[impair]] and [[partition]] sections, our app and
// engine settings. Command-line flags become TOML lines and go through the
// scenario reader, so a flag means exactly what the same line means in a
// scenario file, and a bad one is refused with the reader's own words.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "lab/tun_device.hpp"
#include "sim/scenario.hpp"

namespace teardown::lab {

struct LabFlags {
    bool ipv6{false};
    std::string profile{"linux"};
    std::vector<std::string> app;       // our steps, e.g. {"listen 7", "accept", "read eof", "close"}
    std::vector<std::string> settings;  // "time_wait=1s": [[host]] settings of ours
    std::vector<std::string> link;      // "delay=5ms", "loss=0.01": [link]
    std::vector<std::string> impair;    // "drop=fin,from=kernel,nth=2": one [[impair]] each
    std::vector<std::string> cut;       // "at=2s" or "at=2s,heal=5s": one [[partition]] each
};

// Host names in the scenario: the kernel is "kernel", we are "teardown".
inline constexpr const char* k_kernel_name = "kernel";
inline constexpr const char* k_ours_name = "teardown";

Result<sim::Scenario> lab_scenario(const LabFlags& flags, const LabAddresses& addresses);

} // namespace teardown::lab
