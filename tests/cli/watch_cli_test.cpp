// `teardown watch` as a user runs it: JSON lines for connections that nc
// makes in a namespace of the test's own, and one-line errors.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "cli_test_support.hpp"

namespace teardown::cli_test {
namespace {

std::string watch(const std::string& args) { return std::string{TEARDOWN_BINARY} + " watch " + args; }

TEST(WatchCli, PrintsAJsonLineForEachEndOfAConnectionInItsNamespace) {
    const std::string ns = "tdwcli-" + std::to_string(::getpid());
    ASSERT_EQ(run("ip netns add " + ns + " && ip netns exec " + ns + " ip link set lo up").status, 0);
    cli_test::Run r;
    std::thread watcher{[&] { r = run(watch("--netns " + ns + " --json --for 3s")); }};
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto traffic = run("ip netns exec " + ns +
                             " sh -c 'nc -l 127.0.0.1 9000 > /dev/null & sleep 0.3; echo hello | nc -N 127.0.0.1 9000; wait'");
    watcher.join();
    run("ip netns del " + ns);
    EXPECT_EQ(traffic.status, 0) << traffic.err;
    ASSERT_EQ(r.status, 0) << r.err;
    std::size_t endings = 0;
    std::size_t from_nc = 0;
    std::size_t pos = 0;
    while ((pos = r.out.find("\"kind\":\"ending\"", pos)) != std::string::npos) {
        ++endings;
        ++pos;
    }
    pos = 0;
    while ((pos = r.out.find("\"comm\":\"nc\"", pos)) != std::string::npos) {
        ++from_nc;
        ++pos;
    }
    EXPECT_EQ(endings, 2u) << r.out;
    EXPECT_EQ(from_nc, 2u) << "both ends are nc's: " << r.out;
    EXPECT_NE(r.out.find("\"ending\":\"graceful\""), std::string::npos) << r.out;
}

// The live view on a real terminal: tmux runs the watch, nc makes a
// connection in the namespace, and the screen shows the counts and the row.
TEST(WatchCli, TheLiveViewOnATerminalShowsStatesEndingsAndTheLatestRows) {
    const std::string ns = "tdwlive-" + std::to_string(::getpid());
    const std::string session = "tdwatch" + std::to_string(::getpid());
    ASSERT_EQ(run("ip netns add " + ns + " && ip netns exec " + ns + " ip link set lo up").status, 0);
    ASSERT_EQ(run("tmux new-session -d -s " + session + " -x 220 -y 50 '" + watch("--netns " + ns + " --for 6s") + "; sleep 30'").status, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto traffic =
        run("ip netns exec " + ns + " sh -c 'nc -l 127.0.0.1 9001 > /dev/null & sleep 0.3; echo hello | nc -N 127.0.0.1 9001; wait'");
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // a redraw or two
    const auto screen = run("tmux capture-pane -p -t " + session);
    run("tmux kill-session -t " + session);
    run("ip netns del " + ns);
    EXPECT_EQ(traffic.status, 0) << traffic.err;
    EXPECT_NE(screen.out.find("teardown watch (bpf)"), std::string::npos) << screen.out;
    EXPECT_NE(screen.out.find("lost 0"), std::string::npos) << screen.out;
    EXPECT_NE(screen.out.find("endings:  graceful 2"), std::string::npos) << screen.out;
    EXPECT_NE(screen.out.find("127.0.0.1:9001 -> 127.0.0.1:"), std::string::npos) << "the server's row: " << screen.out;
    EXPECT_NE(screen.out.find("nc("), std::string::npos) << "the owner: " << screen.out;
}

TEST(WatchCli, RefusesANamespaceThatDoesNotExist) {
    const auto r = run(watch("--netns no-such-namespace-here --for 1s"));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown watch: /run/netns/no-such-namespace-here: No such file or directory (no such network namespace)\n");
}

TEST(WatchCli, RefusesABadPrometheusAddress) {
    const auto r = run(watch("--prometheus localhost --for 1s"));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown watch: --prometheus 'localhost': ADDRESS:PORT, such as 127.0.0.1:9464\n");
}

} // namespace
} // namespace teardown::cli_test
