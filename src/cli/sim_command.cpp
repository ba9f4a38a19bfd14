// `teardown sim run SCENARIO...`: each scenario simulated, its ladder shown,
// its [expect] checked; `teardown sim explore SCENARIO`: every schedule of up
// to K lost (or held back) closing segments, checked against the close's
// invariants.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/run_ladder.hpp"
#include "report/ladder_svg.hpp"
#include "sim/explore.hpp"
#include "sim/outcome.hpp"
#include "sim/run_files.hpp"

namespace teardown::cli {

namespace {

struct SimRunOptions {
    std::vector<std::string> files;
    std::string pcap;
    std::string events;
    std::string svg;
    std::string html;
    bool quiet{false};
    std::optional<std::uint64_t> seed;
};

std::string with_index(const std::string& path, std::size_t i, std::size_t n) {
    if (n <= 1 || path.empty()) return path;
    const auto dot = path.rfind('.');
    const std::string stem = dot == std::string::npos ? path : path.substr(0, dot);
    const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
    return stem + "-" + std::to_string(i + 1) + ext;
}

bool write_outputs(const sim::Scenario& sc, const sim::Run& run, const report::Ladder& ladder, const SimRunOptions& o,
                   std::size_t i, const std::string& verdict_text) {
    const std::size_t n = o.files.size();
    bool ok = true;
    const auto fail = [&](const Error& e) {
        std::fprintf(stderr, "teardown sim: %s\n", e.message.c_str());
        ok = false;
    };
    if (!o.pcap.empty())
        if (auto r = sim::write_run_pcap(sc, run, with_index(o.pcap, i, n)); !r) fail(r.error());
    if (!o.events.empty())
        if (auto r = sim::write_run_events(sc, run, with_index(o.events, i, n)); !r) fail(r.error());
    const std::string title = sc.name + (sc.seed_section.empty() ? "" : " (seed " + sc.seed_section + ")");
    if (!o.svg.empty())
        if (auto r = report::write_text_file(with_index(o.svg, i, n), report::render_ladder_svg(ladder, title)); !r) fail(r.error());
    if (!o.html.empty())
        if (auto r = report::write_text_file(with_index(o.html, i, n),
                                             report::render_ladder_html(ladder, title, sc.summary, verdict_text));
            !r)
            fail(r.error());
    return ok;
}

// 0: every expectation held; 1: one did not; 2: a scenario could not be read or a file written.
int run_scenarios(const SimRunOptions& o) {
    const Palette p = Palette::for_stdout();
    report::LadderStyle style;
    style.colour = p.on;
    int rc = 0;
    for (std::size_t i = 0; i < o.files.size(); ++i) {
        auto sc = sim::load_scenario(o.files[i]);
        if (!sc) {
            std::fprintf(stderr, "teardown sim: %s\n", sc.error().message.c_str());
            rc = 2;
            continue;
        }
        if (o.seed) sc->seed = *o.seed;
        const sim::Run run = sim::simulate(*sc);
        const auto conns = sim::outcomes(*sc, run);
        const auto checks = sim::check(*sc, run, conns);
        const auto ladder = ladder_of_run(*sc, run);
        const std::string verdict = sim::verdict(*sc, conns);
        if (!o.quiet) {
            print_scenario_heading(*sc, p);
            std::fputs(report::render_ladder(ladder, style).c_str(), stdout);
            std::printf("\n");
        }
        const bool passed = print_failed_checks(checks, p);
        std::printf("%s%s%s %s: %s (%zu segments, %.3f s of virtual time)\n", passed ? p.green : p.red, passed ? "ok" : "FAIL",
                    p.reset, sc->name.c_str(), verdict.c_str(), run.transmissions.size(), (run.end - run.start).count_seconds());
        if (!o.quiet) std::printf("\n");
        if (!write_outputs(*sc, run, ladder, o, i, verdict)) rc = 2;
        if (!passed && rc == 0) rc = 1;
    }
    return rc;
}

struct ExploreOptions {
    std::string file;
    std::uint32_t max_losses{2};
    bool reorder{false};
    std::uint64_t max_schedules{2'000'000};
};

int explore_scenario(const ExploreOptions& o) {
    auto sc = sim::load_scenario(o.file);
    if (!sc) {
        std::fprintf(stderr, "teardown sim explore: %s\n", sc.error().message.c_str());
        return 2;
    }
    sim::ExploreLimits limits;
    limits.max_losses = o.max_losses;
    limits.reorder = o.reorder;
    limits.max_schedules = o.max_schedules;
    const sim::Exploration ex = sim::explore(*sc, limits);
    std::printf("%s: %llu schedules of up to %u %s explored in the closing phase, %llu violations%s\n", sc->name.c_str(),
                static_cast<unsigned long long>(ex.schedules), o.max_losses,
                o.reorder ? "lost or held-back segments" : "lost segments",
                static_cast<unsigned long long>(ex.violations), ex.complete ? "" : " (stopped at --max-schedules)");
    if (ex.first_violation) {
        const auto& v = *ex.first_violation;
        std::printf("\nfirst violation, schedule %s:\n", v.schedule_text.c_str());
        for (const auto& why : v.broken) std::printf("  - %s\n", why.c_str());
        const sim::Run run = sim::simulate(*sc, v.schedule);
        report::LadderStyle style;
        style.colour = stdout_wants_colour();
        std::printf("\n");
        std::fputs(report::render_ladder(ladder_of_run(*sc, run), style).c_str(), stdout);
    }
    return ex.violations == 0 && ex.complete ? 0 : 1;
}

} // namespace

void add_sim_command(CLI::App& app) {
    auto* sim = app.add_subcommand("sim", "simulate scenarios: engines over impaired links, ladders, pcap, checks");
    sim->require_subcommand(1);

    auto* run = sim->add_subcommand("run", "simulate each scenario, show its ladder and check its [expect]");
    auto ro = std::make_shared<SimRunOptions>();
    run->add_option("scenario", ro->files, "scenario files (.toml, see docs/scenarios.md)")->required()->check(CLI::ExistingFile);
    run->add_option("--pcap", ro->pcap, "write every segment to this pcap (one file a scenario: name-N.pcap)");
    run->add_option("--events", ro->events, "write the state changes and calls as JSON lines");
    run->add_option("--svg", ro->svg, "write the ladder as an SVG image");
    run->add_option("--html", ro->html, "write the ladder as a self-contained HTML page");
    run->add_option("--seed", ro->seed, "override the scenario's random seed");
    run->add_flag("--quiet,-q", ro->quiet, "only the verdict lines");
    run->callback([ro] {
        if (int rc = run_scenarios(*ro); rc != 0) throw CLI::RuntimeError(rc);
    });

    auto* ex = sim->add_subcommand("explore", "run a scenario under every schedule of up to K losses in its closing phase");
    auto eo = std::make_shared<ExploreOptions>();
    ex->add_option("scenario", eo->file, "scenario file")->required()->check(CLI::ExistingFile);
    ex->add_option("--max-losses,-k", eo->max_losses, "at most this many lost segments a schedule")->capture_default_str();
    ex->add_flag("--reorder", eo->reorder, "also hold segments back past the ones after them");
    ex->add_option("--max-schedules", eo->max_schedules, "stop after this many schedules")->capture_default_str();
    ex->callback([eo] {
        if (int rc = explore_scenario(*eo); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
