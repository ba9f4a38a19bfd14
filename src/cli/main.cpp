// The only main(): parses the command line and hands off to one subcommand.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

int main(int argc, char** argv) {
    CLI::App app{"teardown: TCP connection termination, correct and explained"};
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
