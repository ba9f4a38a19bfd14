// `teardown demo`: the seed come alive. Every bundled scenario (one or more
// per situation of the seed) is simulated: its ladder diagram with every
// closing packet named and every state change beside its cause, its
// expectations checked, a one-line verdict in the seed's words; then all
// the runs go into one capture, whose closing packets `teardown dump
// --closing` identifies again from the bytes alone, and `teardown analyze`
// tells how each connection ended from the capture alone.
#include <algorithm>
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "cli/run_ladder.hpp"
#include "sim/bundled_scenarios.hpp"
#include "sim/outcome.hpp"
#include "sim/run_files.hpp"

namespace teardown::cli {

namespace {

// The seed's order: the 4-way close and its variants, RST, the abnormal
// endings, TIME_WAIT's duties. Scenarios not named here follow, by name.
constexpr std::string_view k_seed_order[] = {
    "four-way-close-by-client", "four-way-close-by-server", "three-way-close", "simultaneous-close",
    "half-close-server-keeps-sending", "refused", "server-crash-reset", "reset-on-close-with-unread-data",
    "syn-flood-defended-server", "peer-vanishes-after-fin", "ack-timeout", "partition-heals-during-close",
    "lossy-link-close", "keepalive-dead-peer",
    "fin-wait-2-timeout-of-an-orphan", "lost-last-ack", "delayed-duplicate-in-time-wait",
    "same-ports-during-and-after-time-wait", "new-incarnation-from-time-wait"};

std::size_t rank(std::string_view stem) {
    const auto it = std::find(std::begin(k_seed_order), std::end(k_seed_order), stem);
    return static_cast<std::size_t>(it - std::begin(k_seed_order));
}

struct Shown {
    sim::Scenario scenario;
    sim::Run run;
};

int run_demo(const std::string& only, const std::string& pcap_path, bool list) {
    const Palette p = Palette::for_stdout();
    report::LadderStyle style;
    style.colour = p.on;

    std::vector<sim::BundledScenario> bundled = sim::bundled_scenarios();
    std::stable_sort(bundled.begin(), bundled.end(), [](const auto& a, const auto& b) {
        return rank(a.stem) != rank(b.stem) ? rank(a.stem) < rank(b.stem) : a.stem < b.stem;
    });
    std::vector<Shown> shown;
    int failed = 0;
    for (const auto& b : bundled) {
        auto sc = sim::parse_scenario(b.text, "scenarios/" + std::string{b.stem} + ".toml");
        if (!sc) {
            std::fprintf(stderr, "teardown demo: %s\n", sc.error().message.c_str());
            return 2;
        }
        if (list) {
            std::printf("%-36s %s\n", sc->name.c_str(), sc->summary.c_str());
            continue;
        }
        if (!only.empty() && sc->name != only && b.stem != only) continue;
        sim::Run run = sim::simulate(*sc);
        const auto conns = sim::outcomes(*sc, run);
        const auto checks = sim::check(*sc, run, conns);
        print_scenario_heading(*sc, p);
        std::fputs(report::render_ladder(ladder_of_run(*sc, run), style).c_str(), stdout);
        const bool ok = print_failed_checks(checks, p);
        if (!ok) ++failed;
        std::printf("\n%s%s%s %s\n\n", ok ? p.green : p.red, ok ? "verdict:" : "verdict (expectations not met):", p.reset,
                    sim::verdict(*sc, conns).c_str());
        shown.push_back({std::move(*sc), std::move(run)});
    }
    if (list) return 0;
    if (shown.empty()) {
        std::fprintf(stderr, "teardown demo: no bundled scenario named '%s' (teardown demo --list shows them)\n", only.c_str());
        return 1;
    }
    // The same closes, now as bytes on the wire: one capture, the runs one
    // after another, identified again from the TCP flags alone (seed §3).
    std::vector<sim::RunInCapture> runs;
    Duration shift{};
    for (const auto& s : shown) {
        runs.push_back({&s.scenario, &s.run, shift});
        // Apart by more than 2 MSL of RFC 9293's (4 minutes), so that no run's
        // 4-tuple can pass for the one before's in the capture.
        shift += (s.run.end - s.run.start) + Duration::seconds(300);
    }
    auto written = sim::write_runs_pcap(runs, pcap_path);
    if (!written) {
        std::fprintf(stderr, "teardown demo: %s\n", written.error().message.c_str());
        return 1;
    }
    std::printf("%s== the closing packets, identified from the capture%s\n", p.bold, p.reset);
    std::printf("%zu segments of %zu scenarios written to %s; `teardown dump --closing %s` finds:\n\n", *written,
                shown.size(), pcap_path.c_str(), pcap_path.c_str());
    std::fflush(stdout);
    DumpOptions dump;
    dump.path = pcap_path;
    dump.closing_only = true;
    dump.time = DumpTime::relative;
    int rc = dump_capture(dump);
    std::fflush(stdout);
    // And how each connection ended, from the capture alone: the analyzer's
    // records beside what each scenario above said (the flood's forged
    // 4-tuples left out, they are a thousand lines of the same).
    std::printf("\n%s== how every connection ended, from the capture alone%s\n", p.bold, p.reset);
    std::printf("`teardown analyze --filter 'not net 203.0.113.0/24' %s`:\n\n", pcap_path.c_str());
    std::fflush(stdout);
    AnalyzeOptions analyze;
    analyze.files = {pcap_path};
    analyze.filter = "not net 203.0.113.0/24";
    if (const int a = analyze_capture(analyze); a != 0 && rc == 0) rc = a;
    std::fflush(stdout);
    if (failed > 0) {
        std::fprintf(stderr, "teardown demo: %d scenarios did not end as they expect\n", failed);
        return 1;
    }
    return rc;
}

} // namespace

void add_demo_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("demo", "the seed's closing situations, simulated: ladders, verdicts, capture");
    auto only = std::make_shared<std::string>();
    auto pcap = std::make_shared<std::string>("teardown-demo.pcap");
    auto list = std::make_shared<bool>(false);
    cmd->add_option("--only", *only, "show only the scenario of this name");
    cmd->add_option("--pcap", *pcap, "where to write the capture of the runs")->capture_default_str();
    cmd->add_flag("--list", *list, "list the bundled scenarios");
    cmd->callback([only, pcap, list] {
        if (int rc = run_demo(*only, *pcap, *list); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
