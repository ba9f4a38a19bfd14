#pragma once
// `teardown watch`'s engine room: the eBPF source (or, when BPF cannot be
// had, sock_diag polling, said once), the lifecycle tracker, the alert
// rules, the periodic socket table and the counts, for one network
// namespace or all. Records and alerts go to the caller's sinks; the
// counts can be read from another thread (the Prometheus endpoint).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "watch/alerts.hpp"
#include "watch/lifecycle.hpp"
#include "watch/metrics.hpp"
#include "watch/sock_diag.hpp"

namespace teardown::watch {

struct WatchFilter {
    std::optional<std::uint16_t> port;         // either end
    std::optional<wire::IpAddress> address;    // either end
    std::optional<std::uint32_t> pid;          // the owner
    std::optional<std::uint64_t> cgroup;       // the owner's cgroup v2 id (the inode of its directory)
    bool matches(const wire::FourTuple& t, std::uint32_t owner, std::uint64_t owner_cgroup) const;
};

struct WatchOptions {
    enum class Source : std::uint8_t { automatic, bpf, sock_diag };
    Source source{Source::automatic};
    std::string netns;                         // a name under /run/netns, or a path; empty: this one
    WatchFilter filter;
    AlertLimits limits;
    Duration table_interval{Duration::seconds(1)};  // sock_diag dumps (gauges, TIME_WAIT, the fallback)
    std::uint32_t ring_bytes{4u << 20};
};

class Monitor {
public:
    using RecordSink = std::function<void(const WatchRecord&)>;
    using AlertSink = std::function<void(const Alert&)>;
    // Opens the source; `notice` gets the one-line word when it falls back to sock_diag.
    static Result<std::unique_ptr<Monitor>> start(const WatchOptions& options, RecordSink on_record, AlertSink on_alert,
                                                  const std::function<void(const std::string&)>& notice);
    ~Monitor();

    // Runs until `stop`, or for `limit` (zero: no limit); open connections are reported at the end.
    Result<void> run(const std::atomic<bool>& stop, Duration limit = Duration::zero());
    WatchMetrics metrics() const;
    const char* source_name() const;
    std::uint32_t netns_inode() const;

private:
    Monitor() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace teardown::watch
