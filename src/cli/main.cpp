// The only main(): parses the command line and hands off to one subcommand.
// Exceptions stop here; the parts below report errors as Result values.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "cli/commands.hpp"

namespace teardown::cli {

bool stdout_wants_colour() {
    const char* no_colour = std::getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && (no_colour == nullptr || *no_colour == '\0');
}

} // namespace teardown::cli

int main(int argc, char** argv) {
    CLI::App app{"teardown: TCP connection termination, correct and explained"};
    app.require_subcommand(1);
    teardown::cli::add_analyze_command(app);
    teardown::cli::add_demo_command(app);
    teardown::cli::add_dump_command(app);
    teardown::cli::add_lab_command(app);
    teardown::cli::add_script_command(app);
    teardown::cli::add_sim_command(app);
    teardown::cli::add_watch_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "teardown: %s\n", e.what());
        return 1;
    }
    return 0;
}
