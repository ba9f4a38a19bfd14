// `teardown lab serve|connect`: our engine on a TUN device inside a network
// namespace of its own, with the Linux kernel's TCP (curl, nc, any program
// started in the namespace) as its peer, the scenario language's
// impairments on the path, and the run as a capture, an event log and a
// ladder.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/run_ladder.hpp"
#include "lab/kernel_sockets.hpp"
#include "lab/lab_run.hpp"
#include "lab/lab_scenario.hpp"
#include "analyze/analyzer.hpp"
#include "report/connection_report.hpp"
#include "report/ladder_svg.hpp"
#include "sim/run_files.hpp"

namespace teardown::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct LabOptions {
    bool connect{false};  // the `connect` subcommand: we are the client
    std::string netns{"teardown-lab"};
    std::string tun{"td0"};
    lab::LabFlags flags;
    std::string app;       // "step; step; ..."
    std::string service;
    std::uint16_t port{0};
    std::uint64_t connections{0};
    std::string run_for;   // wall time at most
    std::string pcap;
    std::string events;
    std::string svg;
    std::string html;
    bool ladder{false};
    std::vector<std::string> command;  // after `--`: run in the namespace
};

std::vector<std::string> split_steps(const std::string& s) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= s.size()) {
        const auto semi = s.find(';', at);
        std::string step = s.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
        const auto b = step.find_first_not_of(" \t");
        const auto e = step.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(step.substr(b, e - b + 1));
        if (semi == std::string::npos) break;
        at = semi + 1;
    }
    return out;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "teardown lab: %s\n", what.c_str());
    return 2;
}

std::uint16_t default_port(lab::ServiceKind k) {
    switch (k) {
    case lab::ServiceKind::echo: return 7;
    case lab::ServiceKind::discard: return 9;
    case lab::ServiceKind::http: return 80;
    }
    return 80;
}

int run_lab_command(LabOptions o) {
    const auto addresses = lab::LabAddresses::standard();
    lab::LabPlan plan;
    std::optional<lab::ServiceKind> service;
    if (!o.connect && o.app.empty()) {
        service = lab::service_named(o.service.empty() ? "http" : o.service);
        if (!service) return fail("--service '" + o.service + "': echo, discard or http");
        if (o.port == 0) o.port = default_port(*service);
    } else if (!o.service.empty()) {
        return fail("--service and --app do not go together: a service answers every connection, the steps run once");
    }
    if (o.connect && o.port == 0) return fail("connect: --port, the kernel's port to connect to, is required");
    o.flags.app = split_steps(o.app);
    if (o.connect && o.flags.app.empty())
        o.flags.app = {"connect kernel:" + std::to_string(o.port), "send 1000", "shutdown", "read eof", "close"};
    auto sc = lab::lab_scenario(o.flags, addresses);
    if (!sc) return fail(sc.error().message);
    plan.scenario = std::move(*sc);
    plan.service = service;
    plan.port = o.port;
    plan.connections = o.connections;
    plan.pcap = o.pcap;
    plan.stop_when_done = !service;
    if (!o.run_for.empty()) {
        const auto d = sim::parse_duration(o.run_for);
        if (!d) return fail("--for '" + o.run_for + "' is not a duration (\"30s\", \"5m\")");
        plan.limit = *d;
    } else {
        plan.limit = Duration::zero();
    }

    auto ns = lab::NetworkNamespace::create(o.netns);
    if (!ns) return fail(ns.error().message);
    auto tun = lab::TunDevice::open(*ns, o.tun, addresses);
    if (!tun) return fail(tun.error().message);
    const auto& kernel = plan.scenario.hosts[lab::k_kernel].address;
    const auto& ours = plan.scenario.hosts[lab::k_ours].address;
    std::fprintf(stderr, "teardown lab: netns %s, %s: kernel %s, teardown %s\n", o.netns.c_str(), o.tun.c_str(),
                 kernel.to_string().c_str(), ours.to_string().c_str());

    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    // The kernel-side program, and a watcher that winds the lab down when it exits.
    std::atomic<bool> wind_down{false};
    int command_status = 0;
    std::thread watcher;
    if (!o.command.empty()) {
        auto pid = lab::spawn_in(*ns, o.command);
        if (!pid) return fail(pid.error().message);
        watcher = std::thread{[&, child = *pid] {
            int status = 0;
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            command_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            wind_down.store(true);
        }};
        if (o.connect) {
            // Our steps connect at once: wait for the kernel program's listener first.
            for (int i = 0; i < 500 && !lab::kernel_listens(*ns, o.port) && !wind_down.load(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    } else if (service) {
        std::fprintf(stderr, "teardown lab: %s on %s; try: ip netns exec %s curl http://%s/ (Ctrl-C ends)\n",
                     std::string{lab::to_string(*service)}.c_str(), wire::Endpoint{ours, o.port}.to_string().c_str(),
                     o.netns.c_str(), wire::Endpoint{ours, o.port}.to_string().c_str());
    }
    auto result = lab::run_lab(*tun, plan, g_stop, wind_down);
    if (watcher.joinable()) {
        if (!wind_down.load()) g_stop.store(true);
        watcher.join();
    }
    if (!result) return fail(result.error().message);

    const sim::Run& run = result->run;
    const Palette p = Palette::for_stdout();
    const report::Ladder ladder = ladder_of_run(plan.scenario, run);
    if (o.ladder) {
        report::LadderStyle style;
        style.colour = p.on;
        std::fputs(report::render_ladder(ladder, style).c_str(), stdout);
        std::printf("\n");
    }
    const std::string title = std::string{"teardown lab "} + (o.connect ? "connect" : "serve") + ": the Linux kernel and teardown";
    if (!o.svg.empty())
        if (auto r = report::write_text_file(o.svg, report::render_ladder_svg(ladder, title)); !r) return fail(r.error().message);
    if (!o.html.empty())
        if (auto r = report::write_text_file(o.html, report::render_ladder_html(ladder, title, "over a TUN device in a network namespace", ""));
            !r)
            return fail(r.error().message);
    // How each connection ended, as `teardown analyze` reads what crossed the TUN device.
    std::vector<analyze::ConnectionRecord> records;
    analyze::Analyzer analyzer{{}, [&](analyze::ConnectionRecord&& r) { records.push_back(std::move(r)); }};
    std::vector<analyze::TcpPacket> packets;
    for (const auto& t : run.transmissions) {
        const bool crossed = t.from == lab::k_kernel || t.fate == sim::Transmission::Fate::delivered;
        if (!crossed) continue;
        analyze::TcpPacket pkt;
        pkt.ts = t.from == lab::k_kernel ? t.sent : t.arrives;
        pkt.src = {t.segment.src, t.segment.tcp.src_port};
        pkt.dst = {t.segment.dst, t.segment.tcp.dst_port};
        pkt.flags = t.segment.tcp.flags;
        pkt.seq = t.segment.tcp.seq;
        pkt.ack = t.segment.tcp.ack;
        pkt.window = t.segment.tcp.window;
        pkt.window_scale = t.segment.tcp.options.window_scale;
        pkt.payload_len = static_cast<std::uint32_t>(t.segment.payload.size());
        packets.push_back(pkt);
    }
    // In the order they crossed: a delayed segment of ours crossed when it was let through.
    std::stable_sort(packets.begin(), packets.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
    for (std::size_t i = 0; i < packets.size(); ++i) {
        packets[i].index = i;
        analyzer.on_packet(packets[i]);
    }
    analyzer.finish();
    if (!records.empty()) {
        std::fputs(report::records_header(report::RecordFormat::table, run.start).c_str(), stdout);
        for (const auto& r : records) std::printf("%s\n", report::record_line(report::RecordFormat::table, r).c_str());
    }
    if (service)
        std::printf("%s: %llu connections served, %llu responses\n", std::string{lab::to_string(*service)}.c_str(),
                    static_cast<unsigned long long>(result->served), static_cast<unsigned long long>(result->responses));
    const auto& us = run.hosts[lab::k_ours];
    std::printf("%zu segments in %.3f s; teardown: %zu endpoints left (%zu in TIME-WAIT), last error %s%s\n",
                run.transmissions.size(), (run.end - run.start).count_seconds(), us.endpoints_left, us.time_wait_left,
                std::string{engine::to_string(us.last_error)}.c_str(), result->timed_out ? "; stopped by --for" : "");
    if (!o.events.empty())
        if (auto r = sim::write_run_events(plan.scenario, run, o.events); !r) return fail(r.error().message);
    if (!o.command.empty() && command_status != 0) {
        std::fprintf(stderr, "teardown lab: '%s' exited with %d\n", o.command[0].c_str(), command_status);
        return command_status;
    }
    return 0;
}

void add_common(CLI::App* c, const std::shared_ptr<LabOptions>& o) {
    c->add_option("--netns", o->netns, "the network namespace to make (and remove on exit)")->capture_default_str();
    c->add_option("--tun", o->tun, "the TUN device's name inside it")->capture_default_str();
    c->add_flag("--ipv6,-6", o->flags.ipv6, "use 2001:db8::1 (kernel) and 2001:db8::2 (us) instead of 192.0.2.1 and .2");
    c->add_option("--profile", o->flags.profile, "our engine's profile: linux or rfc")->capture_default_str();
    c->add_option("--app", o->app, "our steps, ';'-separated, as in a scenario's app (docs/scenarios.md)");
    c->add_option("--port,-p", o->port, "serve: the service's port; connect: the kernel's port");
    c->add_option("--set", o->flags.settings, "an engine setting of ours, key=value (time_wait=1s, rfc1337=false, ...)");
    c->add_option("--link", o->flags.link, "the [link]: delay=5ms,jitter=1ms,loss=0.01,duplicate=0.01,reorder=0.01");
    c->add_option("--impair", o->flags.impair, "an [[impair]]: drop=fin,from=kernel,nth=2 or delay=ack_of_fin,from=teardown,by=300ms");
    c->add_option("--cut", o->flags.cut, "a [[partition]]: at=2s[,heal=5s] (the link is cut from 2 s on)");
    c->add_option("--pcap", o->pcap, "write what crossed the TUN device (raw IP)");
    c->add_option("--events", o->events, "write our state changes and calls as JSON lines");
    c->add_flag("--ladder", o->ladder, "print the ladder diagram of the run");
    c->add_option("--svg", o->svg, "write the ladder as an SVG image");
    c->add_option("--html", o->html, "write the ladder as a self-contained HTML page");
    c->add_option("--for", o->run_for, "stop after this much wall time (\"30s\")");
    c->add_option("command", o->command, "after --: a program to run in the namespace (the kernel's side); the lab ends with it");
}

} // namespace

void add_lab_command(CLI::App& app) {
    auto* lab = app.add_subcommand("lab", "our engine on a TUN device in a network namespace, with the Linux kernel as its peer");
    lab->require_subcommand(1);
    auto* serve = lab->add_subcommand("serve", "serve echo, discard or HTTP/1.1 (or run --app steps) for kernel clients");
    auto so = std::make_shared<LabOptions>();
    add_common(serve, so);
    serve->add_option("--service", so->service, "echo, discard or http (default http)");
    serve->add_option("--connections", so->connections, "stop once this many connections were served");
    serve->callback([so] {
        if (int rc = run_lab_command(*so); rc != 0) throw CLI::RuntimeError(rc);
    });
    auto* connect = lab->add_subcommand("connect", "connect to a kernel server in the namespace and run --app steps");
    auto co = std::make_shared<LabOptions>();
    co->connect = true;
    add_common(connect, co);
    connect->callback([co] {
        if (int rc = run_lab_command(*co); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
