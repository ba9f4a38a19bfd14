// `teardown script` as a user runs it: one verdict a script, and the exit
// status says whether all passed (0), one failed (1) or one was unreadable (2).
#include <fstream>

#include <gtest/gtest.h>

#include "cli_test_support.hpp"

using namespace teardown::cli_test;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream{path} << text; }

const std::string k_refused = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
0 > S 0:0(0) <...>
0.1 < R. 0:0(0) ack 1 win 0
)";

} // namespace

TEST(ScriptCli, passing_scripts_print_ok_and_exit_zero) {
    TempDir dir;
    write(dir.file("refused.pkt"), k_refused);
    const auto r = run(teardown_binary() + " script " + dir.file("refused.pkt"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("ok   " + dir.file("refused.pkt") + " (4 lines"), std::string::npos) << r.out;
}

TEST(ScriptCli, a_failing_script_prints_the_first_mismatch_and_exits_one) {
    TempDir dir;
    write(dir.file("good.pkt"), k_refused);
    std::string bad = k_refused;
    bad.replace(bad.find("ECONNREFUSED"), 12, "ETIMEDOUT");
    write(dir.file("bad.pkt"), bad);
    const auto r = run(teardown_binary() + " script " + dir.file("good.pkt") + " " + dir.file("bad.pkt"));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("FAIL " + dir.file("bad.pkt")), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("bad.pkt:2: connect() returned -1 ECONNREFUSED, the script expects -1 ETIMEDOUT"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("1 passed, 1 failed"), std::string::npos) << r.out;
}

TEST(ScriptCli, a_malformed_script_is_a_one_line_error_with_line_and_column) {
    TempDir dir;
    write(dir.file("broken.pkt"), "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < Q 0:0(0) win 1\n");
    const auto r = run(teardown_binary() + " script " + dir.file("broken.pkt"));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(dir.file("broken.pkt") + ":2:6: expected TCP flags"), std::string::npos) << r.err;
}

TEST(ScriptCli, profile_changes_the_engine_the_script_meets) {
    TempDir dir;
    // TIME_WAIT: 60 s under linux, 240 s under rfc.
    write(dir.file("tw.pkt"), R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
0 > S 0:0(0) <...>
0.1 < S. 0:0(0) ack 1 win 65535 <mss 1000>
0.1 > . 1:1(0) ack 1
0.1 close(3) = 0
0.1 > F. 1:1(0) ack 1
0.2 < F. 1:1(0) ack 2 win 65535
0.2 > . 2:2(0) ack 2
100 %{ assert tcpi_state == TCP_CLOSE }%
)");
    EXPECT_EQ(run(teardown_binary() + " script --profile linux " + dir.file("tw.pkt")).status, 0);
    EXPECT_EQ(run(teardown_binary() + " script --profile rfc " + dir.file("tw.pkt")).status, 1);
}
