#include "watch/monitor.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "watch/bpf_source.hpp"
#include "watch/socket_owners.hpp"

namespace teardown::watch {

bool WatchFilter::matches(const wire::FourTuple& t, std::uint32_t owner, std::uint64_t owner_cgroup) const {
    if (port && t.local.port != *port && t.remote.port != *port) return false;
    if (address && t.local.addr != *address && t.remote.addr != *address) return false;
    if (pid && owner != *pid) return false;
    if (cgroup && owner_cgroup != *cgroup) return false;
    return true;
}

namespace {

Instant wall_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return Instant::from_nanos(static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

} // namespace

struct Monitor::Impl {
    WatchOptions options;
    RecordSink on_record;
    AlertSink on_alert;
    std::unique_ptr<BpfSource> bpf;
    LifecycleTracker tracker;
    AlertRules rules;
    mutable std::mutex lock;  // guards metrics
    WatchMetrics metrics;
    std::deque<Instant> recent_resets;  // for the storm rule
    std::unordered_map<std::uint64_t, DiagSocket> last_table;  // sock_diag: the fallback's previous dump
    std::vector<Alert> alerts;
    std::vector<WatchRecord> records;

    Impl(const WatchOptions& o, RecordSink r, AlertSink a)
        : options{o}, on_record{std::move(r)}, on_alert{std::move(a)},
          tracker{[this](WatchRecord&& rec) { records.push_back(std::move(rec)); },
                  [this](std::uint32_t reason) { return bpf ? bpf->reset_reason_name(reason) : std::to_string(reason); }},
          rules{o.limits} {}

    void deliver() {
        for (auto& r : records) {
            rules.on_record(r, alerts);
            if (!options.filter.matches(r.tuple, r.pid, r.cgroup)) continue;
            {
                std::lock_guard g{lock};
                metrics.count(r);
            }
            on_record(r);
        }
        records.clear();
        for (auto& a : alerts) {
            {
                std::lock_guard g{lock};
                ++metrics.alerts[a.kind];
            }
            on_alert(a);
        }
        alerts.clear();
    }

    void on_event(const KernelEvent& e) {
        {
            std::lock_guard g{lock};
            ++metrics.events;
            if (e.kind == KernelEvent::Kind::reset_sent) ++metrics.resets_sent[bpf ? bpf->reset_reason_name(e.reset_reason) : "?"];
            if (e.kind == KernelEvent::Kind::reset_received) ++metrics.resets_received;
            if (e.kind == KernelEvent::Kind::retransmit) ++metrics.retransmits;
        }
        if (e.kind == KernelEvent::Kind::reset_sent || e.kind == KernelEvent::Kind::reset_received) recent_resets.push_back(e.at);
        tracker.on_event(e);
    }

    // The socket table: gauges, TIME_WAIT build-up, and without BPF the changes themselves.
    Result<void> table(Instant now, bool first) {
        auto dump = dump_tcp_sockets();
        if (!dump) return dump.error();
        std::map<TcpState, std::uint64_t> per_state;
        for (const auto& s : *dump)
            if (const auto st = rfc_state(s.state)) ++per_state[*st];
        {
            std::lock_guard g{lock};
            metrics.sockets = per_state;
            metrics.tracked = tracker.tracked();
        }
        rules.on_table(*dump, now, alerts);
        std::unordered_map<std::uint64_t, DiagSocket> current;
        for (const auto& s : *dump) current.emplace(s.cookie, s);
        if (first) {
            // What existed before the watch: followed from its present state.
            for (const auto& s : *dump)
                if (s.state != KernelState::listen && s.state != KernelState::time_wait && s.state != KernelState::new_syn_recv)
                    tracker.seed(s.cookie, netns_inode, s.tuple, s.state, now);
        } else if (!bpf) {
            // sock_diag alone: a change of state between dumps is a change; a socket gone is closed.
            for (const auto& [cookie, s] : current) {
                const auto old = last_table.find(cookie);
                const KernelState from = old == last_table.end() ? KernelState::close : old->second.state;
                if (from == s.state || s.state == KernelState::listen || ended.count(cookie)) continue;
                if (s.state == KernelState::time_wait) {
                    // A timewait socket is a connection that has closed gracefully, this side last:
                    // its record is due now, not when the entry expires.
                    const KernelState before = from == KernelState::close ? KernelState::fin_wait2 : from;
                    if (from == KernelState::close) synth(cookie, s, KernelState::established, before, now);
                    synth(cookie, s, before, KernelState::close, now);
                    ended.insert(cookie);
                    continue;
                }
                synth(cookie, s, from, s.state, now);
            }
            for (const auto& [cookie, s] : last_table)
                if (!current.count(cookie) && s.state != KernelState::listen && !ended.erase(cookie))
                    synth(cookie, s, s.state, KernelState::close, now);
        }
        last_table = std::move(current);
        find_owners(now);
        return {};
    }

    // Connections about to be flagged (CLOSE_WAIT, FIN_WAIT2) whose owner the
    // BPF side never saw: one /proc scan for all of them.
    void find_owners(Instant now) {
        std::unordered_map<std::uint32_t, std::uint64_t> wanted;  // inode -> cookie
        tracker.for_each_open([&](const LifecycleTracker::Open& c) {
            if (c.pid != 0 || (c.state != KernelState::close_wait && c.state != KernelState::fin_wait2)) return;
            if (now - c.since < std::min(options.limits.close_wait, options.limits.fin_wait_2) / 2) return;
            const auto it = last_table.find(c.cookie);
            if (it != last_table.end() && it->second.inode != 0 && !unowned.count(c.cookie)) wanted.emplace(it->second.inode, c.cookie);
        });
        if (wanted.empty()) return;
        std::unordered_set<std::uint32_t> inodes;
        for (const auto& [inode, cookie] : wanted) inodes.insert(inode);
        const auto owners = owners_of(inodes);
        for (const auto& [inode, cookie] : wanted) {
            const auto o = owners.find(inode);
            if (o == owners.end()) unowned.insert(cookie);  // not looked for again
            else tracker.set_owner(cookie, o->second.pid, o->second.comm);
        }
    }
    std::unordered_set<std::uint64_t> unowned;
    std::unordered_set<std::uint64_t> ended;  // sock_diag alone: reported when seen in TIME_WAIT

    void synth(std::uint64_t cookie, const DiagSocket& s, KernelState from, KernelState to, Instant now) {
        KernelEvent e;
        e.kind = KernelEvent::Kind::state;
        e.at = now;
        e.cookie = cookie;
        e.netns = netns_inode;
        e.tuple = s.tuple;
        e.from = from == KernelState::time_wait ? KernelState::fin_wait2 : from;  // a timewait socket's end is TIME_WAIT's
        e.to = to;
        e.total_retrans = s.retransmits;
        e.peer_fin = s.state == KernelState::time_wait;  // TIME_WAIT proper, not a FIN_WAIT2 orphan
        on_event(e);
        if (to == KernelState::close) {
            KernelEvent d = e;
            d.kind = KernelEvent::Kind::destroy;
            on_event(d);
        }
    }

    std::uint32_t netns_inode{0};  // the watched namespace's
};

Result<std::unique_ptr<Monitor>> Monitor::start(const WatchOptions& options, RecordSink on_record, AlertSink on_alert,
                                                const std::function<void(const std::string&)>& notice) {
    std::unique_ptr<Monitor> m{new Monitor};
    m->impl_ = std::make_unique<Impl>(options, std::move(on_record), std::move(on_alert));
    Impl& im = *m->impl_;
    // The namespace: this thread moves into it (sock_diag answers for the caller's), BPF filters by its inode.
    std::string ns_path = "/proc/thread-self/ns/net";
    if (!options.netns.empty()) ns_path = options.netns.find('/') == std::string::npos ? "/run/netns/" + options.netns : options.netns;
    const int ns_fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return Error::io(ns_path + ": " + std::strerror(errno) + (options.netns.empty() ? "" : " (no such network namespace)"));
    struct stat st{};
    fstat(ns_fd, &st);
    if (!options.netns.empty() && setns(ns_fd, CLONE_NEWNET) != 0) {
        const int e = errno;
        close(ns_fd);
        return Error::io("setns into " + ns_path + ": " + std::strerror(e));
    }
    close(ns_fd);
    im.netns_inode = static_cast<std::uint32_t>(st.st_ino);
    if (options.source != WatchOptions::Source::sock_diag) {
        BpfOptions b;
        // Without --netns every namespace is watched; with it, that one only.
        b.netns = options.netns.empty() ? 0 : im.netns_inode;
        b.ring_bytes = options.ring_bytes;
        auto src = BpfSource::open(b);
        if (src) {
            im.bpf = std::move(*src);
        } else if (options.source == WatchOptions::Source::bpf) {
            return src.error();
        } else {
            notice("eBPF is not available (" + src.error().message + "): watching through sock_diag every " +
                   std::to_string(options.table_interval.count_millis()) +
                   " ms instead; resets, retransmissions, owners and changes shorter than that are not seen");
        }
    }
    im.metrics.source = im.bpf ? "bpf" : "sock_diag";
    if (auto r = im.table(wall_now(), true); !r) return r.error();
    return m;
}

Monitor::~Monitor() = default;

const char* Monitor::source_name() const { return impl_->bpf ? "bpf" : "sock_diag"; }

std::uint32_t Monitor::netns_inode() const { return impl_->netns_inode; }

WatchMetrics Monitor::metrics() const {
    std::lock_guard g{impl_->lock};
    WatchMetrics m = impl_->metrics;
    if (impl_->bpf) m.events_lost = impl_->bpf->lost();
    return m;
}

Result<void> Monitor::run(const std::atomic<bool>& stop, Duration limit) {
    Impl& im = *impl_;
    const Instant start = wall_now();
    Instant next_table = start + im.options.table_interval;
    const auto sink = [&im](const KernelEvent& e) { im.on_event(e); };
    while (!stop.load(std::memory_order_relaxed)) {
        Instant now = wall_now();
        if (limit > Duration::zero() && now - start >= limit) break;
        if (im.bpf) {
            if (auto r = im.bpf->poll(100, sink); !r) return r.error();
        } else {
            const Duration wait = std::min(next_table - now, Duration::millis(100));
            if (wait > Duration::zero()) usleep(static_cast<useconds_t>(wait.count_micros()));
        }
        now = wall_now();
        if (now >= next_table) {
            if (auto r = im.table(now, false); !r) return r.error();
            next_table = now + im.options.table_interval;
        }
        while (!im.recent_resets.empty() && now - im.recent_resets.front() > Duration::seconds(1)) im.recent_resets.pop_front();
        im.rules.on_resets(im.recent_resets.size(), now, im.alerts);
        im.tracker.for_each_open([&](const LifecycleTracker::Open& c) {
            if (im.options.filter.matches(c.tuple, c.pid, c.cgroup)) im.rules.on_open(c, now, im.alerts);
        });
        im.tracker.tick(now);
        im.deliver();
    }
    im.tracker.finish(wall_now());
    im.deliver();
    return {};
}

} // namespace teardown::watch
