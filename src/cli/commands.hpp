#pragma once
// Each subcommand registers itself on the one CLI::App in main.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace teardown::cli {

void add_dump_command(CLI::App& app);

enum class DumpTime { utc, epoch, relative };
struct DumpOptions {
    std::string path;
    bool closing_only{false};
    std::string filter;
    bool json{false};
    DumpTime time{DumpTime::utc};
    std::uint64_t count{0};
};
// Exit status: 0 all read, 1 the file could not be read or lies, 2 cut short.
int dump_capture(const DumpOptions& options);
void add_demo_command(CLI::App& app);
void add_script_command(CLI::App& app);
void add_sim_command(CLI::App& app);
void add_analyze_command(CLI::App& app);
void add_lab_command(CLI::App& app);
void add_watch_command(CLI::App& app);
struct AnalyzeOptions {
    std::vector<std::string> files;
    std::string interface;
    std::string filter;
    std::string format{"table"};
    std::string only;
    std::optional<std::uint64_t> ladder;
    std::size_t max_flows{1'000'000};
    double idle_seconds{3600};
    bool checksums{false};
    bool summary{false};
    bool stats{false};  // the flow table's size on stderr
    unsigned threads{1};
    double live_seconds{0};  // -i: stop after this long (0: at Ctrl-C)
    std::uint32_t buffer_kib{32 * 1024};  // -i: the kernel's ring (tcpdump's -B)
};
// Exit status: 0 all read; 1 a capture could not be read or lies; 2 bad options.
int analyze_capture(const AnalyzeOptions& options);

// A capture to read: a file that exists, or "-" for stdin (a pipe).
inline CLI::Validator capture_path() {
    return CLI::Validator(
        [](std::string& path) { return path == "-" ? std::string{} : CLI::ExistingFile(path); }, "FILE or -");
}

// Whether to colour terminal output: a terminal, and NO_COLOR unset (no-color.org).
bool stdout_wants_colour();

// The ANSI codes the commands print with: empty strings when not colouring.
struct Palette {
    bool on{false};
    const char* bold{""};
    const char* green{""};
    const char* red{""};
    const char* reset{""};
    static Palette for_stdout() {
        if (!stdout_wants_colour()) return {};
        return {true, "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[0m"};
    }
};

} // namespace teardown::cli
