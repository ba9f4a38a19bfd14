#pragma once
// What a watch counts, and the counts in Prometheus' text exposition format
// (version 0.0.4): endings by kind and closer, resets each way with the
// kernel's reasons, retransmissions, sockets per state from sock_diag,
// alerts by kind, and the events the kernel side could not queue.
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "watch/alerts.hpp"
#include "watch/lifecycle.hpp"

namespace teardown::watch {

inline constexpr const char* k_prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct WatchMetrics {
    std::string source;                                   // "bpf" or "sock_diag"
    std::map<std::pair<Ending, Closer>, std::uint64_t> endings;
    std::map<std::string, std::uint64_t> resets_sent;     // by the kernel's reason
    std::uint64_t resets_received{0};
    std::uint64_t retransmits{0};
    std::uint64_t events{0};
    std::uint64_t events_lost{0};
    std::map<Alert::Kind, std::uint64_t> alerts;
    std::map<TcpState, std::uint64_t> sockets;            // the latest sock_diag dump
    std::uint64_t tracked{0};

    void count(const WatchRecord& r) { ++endings[{r.ending, r.closer}]; }
    std::string prometheus_text() const;
};

} // namespace teardown::watch
