// `teardown script FILE.pkt...`: packetdrill-syntax scripts against the
// engine, one verdict a script; exit 0 only when every script passed.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "script/runner.hpp"
#include "script/sysctl_table.hpp"

namespace teardown::cli {

namespace {

struct ScriptOptions {
    std::vector<std::string> files;
    std::string profile{"linux"};
    std::vector<std::string> lenient;
    bool trace{false};
    bool quiet{false};
};

// 0: all passed; 1: a script failed; 2: a script could not be read or parsed.
int run_scripts(const ScriptOptions& o) {
    script::RunOptions run;
    run.config = o.profile == "rfc" ? engine::Config::rfc() : engine::Config::linux();
    run.lenient = o.lenient;
    run.trace = o.trace;
    const Palette p = Palette::for_stdout();
    const char* green = p.green;
    const char* red = p.red;
    const char* reset = p.reset;
    std::size_t passed = 0, failed = 0, unreadable = 0;
    for (const auto& file : o.files) {
        auto parsed = script::load_script(file);
        if (!parsed.ok()) {
            std::fprintf(stderr, "teardown script: %s\n", parsed.error().message.c_str());
            ++unreadable;
            continue;
        }
        const script::Outcome out = script::run_script(*parsed, run);
        for (const auto& t : out.trace) std::printf("  %s\n", t.c_str());
        if (out.passed) {
            ++passed;
            if (!o.quiet) {
                std::printf("%sok%s   %s (%zu lines, %.3f s of virtual time", green, reset, file.c_str(), out.lines_run,
                            out.virtual_seconds);
                if (out.shell_skipped) std::printf(", %zu shell lines skipped", out.shell_skipped);
                if (out.code_skipped) std::printf(", %zu code blocks skipped", out.code_skipped);
                std::printf(")\n");
            }
        } else {
            ++failed;
            std::printf("%sFAIL%s %s\n  %s\n", red, reset, file.c_str(), out.failure.c_str());
        }
        if (!o.quiet)
            for (const auto& n : out.notes) std::printf("     note: %s\n", n.c_str());
    }
    if (o.files.size() > 1)
        std::printf("%zu passed, %zu failed%s\n", passed, failed,
                    unreadable ? (", " + std::to_string(unreadable) + " unreadable").c_str() : "");
    std::fflush(stdout);
    if (unreadable) return 2;
    return failed ? 1 : 0;
}

} // namespace

void add_script_command(CLI::App& app) {
    auto o = std::make_shared<ScriptOptions>();
    auto* cmd = app.add_subcommand(
        "script", "run packetdrill-syntax scripts against the engine in virtual time (the script plays the remote)");
    cmd->add_option("scripts", o->files, "script files (.pkt)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--profile", o->profile, "engine profile: linux (Linux's defaults, as packetdrill scripts assume) or rfc")
        ->check(CLI::IsMember({"linux", "rfc"}))
        ->capture_default_str();
    cmd->add_option("--lenient", o->lenient, "compare outbound segments without: win, options")
        ->delimiter(',')
        ->check(CLI::IsMember({"win", "options"}));
    cmd->add_flag("--trace", o->trace, "print every line as it runs, and every segment the engine sends");
    cmd->add_flag("--quiet,-q", o->quiet, "print only failures");
    cmd->footer("Shell lines `sysctl -q NAME=VALUE` map these to engine settings:\n" + script::sysctl_table_text());
    cmd->callback([o] {
        if (int rc = run_scripts(*o); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
