#pragma once
// Runs a parsed script against the engine in virtual time: the engine is the
// local host, the script plays the remote. Nothing sleeps; the clock jumps
// from one line or engine deadline to the next, so a 60 s TIME-WAIT costs
// microseconds. The first difference between what the script expects and
// what the engine does ends the run.
#include <cstddef>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "script/script.hpp"

namespace teardown::script {

struct RunOptions {
    engine::Config config{engine::Config::linux()};
    std::vector<std::string> lenient;  // in addition to the script's own --lenient
    bool trace{false};                 // keep a line-by-line account of the run
};

struct Outcome {
    bool passed{false};
    // "FILE:LINE: what went wrong", then the expected and actual lines.
    std::string failure;
    std::size_t lines_run{0};
    std::size_t shell_skipped{0};  // backtick lines not in the sysctl table
    std::size_t code_skipped{0};   // %{ }% blocks or parts of them not evaluated
    std::vector<std::string> notes;  // what was ignored, each once
    std::vector<std::string> trace;
    double virtual_seconds{0};     // how far the script's clock went
};

Outcome run_script(const Script& script, const RunOptions& options);

} // namespace teardown::script
