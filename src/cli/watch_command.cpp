// `teardown watch`: how this host's kernel TCP connections end, live. Each
// ending as a record in the shared vocabulary (a table row, or a JSON line
// with --json), abnormal patterns as alerts, a live summary on a terminal,
// and the counts on a Prometheus endpoint.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "sim/scenario.hpp"
#include "watch/metrics_server.hpp"
#include "watch/monitor.hpp"
#include "watch/record_text.hpp"

namespace teardown::cli {

namespace {

std::atomic<bool> g_watch_stop{false};
extern "C" void on_watch_signal(int) { g_watch_stop.store(true); }

struct WatchCliOptions {
    bool json{false};
    std::string prometheus;
    std::string netns;
    std::string source{"auto"};
    std::optional<std::uint16_t> port;
    std::string address;
    std::optional<std::uint32_t> pid;
    std::string cgroup;
    std::string run_for;
    std::string close_wait{"60s"};
    std::string fin_wait_2{"60s"};
    std::size_t time_wait_per_peer{1000};
    std::size_t resets_per_second{100};
    std::uint32_t ring_kib{4096};
    bool live{false};
};

// The live terminal view: redrawn every second.
class LiveView {
public:
    void record(const watch::WatchRecord& r) {
        std::lock_guard g{lock_};
        recent_.push_back(watch::record_row(r));
        if (recent_.size() > 10) recent_.pop_front();
        ++peers_[r.tuple.remote.addr.to_string()];
        ++endings_;
    }
    void alert(const watch::Alert& a) {
        std::lock_guard g{lock_};
        alerts_.push_back(std::string{watch::to_string(a.kind)} + ": " + a.text);
        if (alerts_.size() > 5) alerts_.pop_front();
    }
    void draw(const watch::WatchMetrics& m) {
        std::lock_guard g{lock_};
        std::string s = "\x1b[H\x1b[2J";
        s += "teardown watch (" + m.source + ")  events " + std::to_string(m.events) + "  lost " + std::to_string(m.events_lost) +
             "  tracked " + std::to_string(m.tracked) + "  endings/s " + std::to_string(endings_ - last_endings_) + "\n\n";
        last_endings_ = endings_;
        s += "sockets:";
        for (const auto& [state, n] : m.sockets) s += "  " + std::string{to_string(state)} + " " + std::to_string(n);
        s += "\nendings:";
        std::map<Ending, std::uint64_t> by_ending;
        for (const auto& [key, n] : m.endings) by_ending[key.first] += n;
        for (const auto& [e, n] : by_ending) s += "  " + std::string{to_string(e)} + " " + std::to_string(n);
        s += "\n\nalerts:\n";
        for (const auto& a : alerts_) s += "  " + a + "\n";
        s += "\ntop peers:";
        std::vector<std::pair<std::uint64_t, std::string>> top;
        for (const auto& [peer, n] : peers_) top.emplace_back(n, peer);
        std::sort(top.rbegin(), top.rend());
        for (std::size_t i = 0; i < top.size() && i < 5; ++i) s += "  " + top[i].second + " " + std::to_string(top[i].first);
        s += "\n\n" + watch::record_row_header() + "\n";
        for (const auto& r : recent_) s += r + "\n";
        std::fputs(s.c_str(), stdout);
        std::fflush(stdout);
    }

private:
    std::mutex lock_;
    std::deque<std::string> recent_;
    std::deque<std::string> alerts_;
    std::map<std::string, std::uint64_t> peers_;
    std::uint64_t endings_{0};
    std::uint64_t last_endings_{0};
};

int fail(const std::string& what) {
    std::fprintf(stderr, "teardown watch: %s\n", what.c_str());
    return 2;
}

int run_watch(const WatchCliOptions& o) {
    watch::WatchOptions w;
    if (o.source == "bpf") w.source = watch::WatchOptions::Source::bpf;
    else if (o.source == "sock_diag") w.source = watch::WatchOptions::Source::sock_diag;
    else if (o.source != "auto") return fail("--source '" + o.source + "': auto, bpf or sock_diag");
    w.netns = o.netns;
    w.filter.port = o.port;
    w.filter.pid = o.pid;
    if (!o.cgroup.empty()) {
        // A cgroup v2 id is its directory's inode number.
        struct stat st{};
        if (stat(o.cgroup.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return fail("--cgroup '" + o.cgroup + "': not a cgroup v2 directory (such as /sys/fs/cgroup/unified/NAME)");
        w.filter.cgroup = st.st_ino;
    }
    if (!o.address.empty()) {
        w.filter.address = wire::IpAddress::parse(o.address);
        if (!w.filter.address) return fail("--address '" + o.address + "' is not an IPv4 or IPv6 address");
    }
    const auto cw = sim::parse_duration(o.close_wait);
    const auto fw = sim::parse_duration(o.fin_wait_2);
    if (!cw) return fail("--close-wait-alert '" + o.close_wait + "' is not a duration");
    if (!fw) return fail("--fin-wait-2-alert '" + o.fin_wait_2 + "' is not a duration");
    w.limits.close_wait = *cw;
    w.limits.fin_wait_2 = *fw;
    w.limits.time_wait_per_peer = o.time_wait_per_peer;
    w.limits.resets_per_second = o.resets_per_second;
    if (o.ring_kib == 0 || (o.ring_kib & (o.ring_kib - 1)) != 0 || o.ring_kib < 4)
        return fail("--ring-kib " + std::to_string(o.ring_kib) + ": a power of two, 4 or more");
    w.ring_bytes = o.ring_kib * 1024;
    Duration limit = Duration::zero();
    if (!o.run_for.empty()) {
        const auto d = sim::parse_duration(o.run_for);
        if (!d) return fail("--for '" + o.run_for + "' is not a duration");
        limit = *d;
    }
    const bool live = o.live || (!o.json && isatty(STDOUT_FILENO));
    LiveView view;
    std::mutex out_lock;
    bool header = false;
    auto monitor = watch::Monitor::start(
        w,
        [&](const watch::WatchRecord& r) {
            if (live) return view.record(r);
            std::lock_guard g{out_lock};
            if (o.json) {
                std::printf("%s\n", watch::record_json(r).c_str());
            } else {
                if (!header) std::printf("%s\n", watch::record_row_header().c_str());
                header = true;
                std::printf("%s\n", watch::record_row(r).c_str());
            }
            std::fflush(stdout);
        },
        [&](const watch::Alert& a) {
            if (live) return view.alert(a);
            std::lock_guard g{out_lock};
            if (o.json) std::printf("%s\n", watch::alert_json(a).c_str());
            else std::printf("ALERT %s: %s\n", std::string{watch::to_string(a.kind)}.c_str(), a.text.c_str());
            std::fflush(stdout);
        },
        [](const std::string& notice) { std::fprintf(stderr, "teardown watch: %s\n", notice.c_str()); });
    if (!monitor) return fail(monitor.error().message);
    watch::Monitor& m = **monitor;
    std::unique_ptr<watch::MetricsServer> server;
    if (!o.prometheus.empty()) {
        auto s = watch::MetricsServer::start(o.prometheus, [&m] { return m.metrics().prometheus_text(); });
        if (!s) return fail(s.error().message);
        server = std::move(*s);
        std::fprintf(stderr, "teardown watch: Prometheus metrics on http://%s/metrics\n", o.prometheus.c_str());
    }
    struct sigaction sa{};
    sa.sa_handler = on_watch_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::thread drawer;
    std::atomic<bool> done{false};
    if (live) {
        drawer = std::thread{[&] {
            while (!done.load()) {
                view.draw(m.metrics());
                for (int i = 0; i < 10 && !done.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }};
    }
    auto r = m.run(g_watch_stop, limit);
    done.store(true);
    if (drawer.joinable()) drawer.join();
    if (!r) return fail(r.error().message);
    const auto metrics = m.metrics();
    if (metrics.events_lost > 0)
        std::fprintf(stderr, "teardown watch: %llu kernel events were lost (the ring buffer was full; try --ring-kib %u)\n",
                     static_cast<unsigned long long>(metrics.events_lost), o.ring_kib * 4);
    return 0;
}

} // namespace

void add_watch_command(CLI::App& app) {
    auto* w = app.add_subcommand("watch", "live: how this host's kernel TCP connections end (eBPF, or sock_diag)");
    auto o = std::make_shared<WatchCliOptions>();
    w->add_flag("--json", o->json, "one JSON line per ending and per alert");
    w->add_flag("--live", o->live, "the live summary even when stdout is not a terminal");
    w->add_option("--prometheus", o->prometheus, "serve /metrics here, e.g. 127.0.0.1:9464");
    w->add_option("--netns", o->netns, "watch this network namespace (a name under /run/netns, or a path) only");
    w->add_option("--source", o->source, "auto (eBPF, else sock_diag), bpf or sock_diag")->capture_default_str();
    w->add_option("--port", o->port, "only connections with this port at either end");
    w->add_option("--address", o->address, "only connections with this address at either end");
    w->add_option("--pid", o->pid, "only connections owned by this process");
    w->add_option("--cgroup", o->cgroup, "only connections owned by processes of this cgroup v2 directory");
    w->add_option("--for", o->run_for, "stop after this long (\"30s\")");
    w->add_option("--close-wait-alert", o->close_wait, "flag a CLOSE_WAIT older than this")->capture_default_str();
    w->add_option("--fin-wait-2-alert", o->fin_wait_2, "flag a FIN_WAIT_2 older than this")->capture_default_str();
    w->add_option("--time-wait-alert", o->time_wait_per_peer, "flag this many TIME_WAIT sockets toward one remote endpoint")->capture_default_str();
    w->add_option("--rst-storm", o->resets_per_second, "flag this many RSTs in a second")->capture_default_str();
    w->add_option("--ring-kib", o->ring_kib, "the BPF ring buffer's size in KiB (a power of two)")->capture_default_str();
    w->callback([o] {
        if (int rc = run_watch(*o); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
