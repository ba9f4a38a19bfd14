// The runner's own verdicts: a script that matches passes, and each kind of
// difference fails with the line, the expected and the actual.
#include <gtest/gtest.h>

#include "script/runner.hpp"

using namespace teardown;
using namespace teardown::script;

namespace {

// A passive open, then whatever the test adds.
constexpr std::string_view k_open = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
)";

Outcome run(std::string_view rest, RunOptions options = {}) {
    auto s = parse_script(std::string{k_open} + std::string{rest}, "t.pkt");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s.ok()) return {};
    return run_script(*s, options);
}

// The run failed, and its message says `what`.
void expect_failure(const Outcome& o, std::string_view what) {
    EXPECT_FALSE(o.passed);
    EXPECT_NE(o.failure.find(what), std::string::npos) << o.failure;
}

} // namespace

TEST(ScriptRunner, a_script_the_engine_follows_passes) {
    const auto o = run(R"(+.1 close(4) = 0
+0 > F. 1:1(0) ack 1
+.1 < F. 1:1(0) ack 2 win 257
+0 > . 2:2(0) ack 2
+0 %{ assert tcpi_state == TCP_TIME_WAIT }%
)");
    EXPECT_TRUE(o.passed) << o.failure;
    EXPECT_EQ(o.lines_run, 13u);
}

TEST(ScriptRunner, virtual_time_covers_time_wait_without_waiting_for_it) {
    const auto o = run(R"(+.1 close(4) = 0
+0 > F. 1:1(0) ack 1
+.1 < F. 1:1(0) ack 2 win 257
+0 > . 2:2(0) ack 2
+60.1 %{ assert tcpi_state == TCP_CLOSE }%
)");
    EXPECT_TRUE(o.passed) << o.failure;
    EXPECT_GE(o.virtual_seconds, 60.4);
}

TEST(ScriptRunner, a_segment_no_line_expects_fails_at_the_next_line) {
    const auto o = run(R"(+.1 close(4) = 0
+.1 < . 1:1(0) ack 2 win 257
)");
    expect_failure(o, "t.pkt:10: the engine sent a segment the script does not expect");
    expect_failure(o, "actual:   > F. 1:1(0) ack 1");
}

TEST(ScriptRunner, a_differing_field_fails_with_both_lines) {
    const auto o = run(R"(+.1 close(4) = 0
+0 > F. 1:1(0) ack 7
)");
    expect_failure(o, "t.pkt:10: ack 1 where 7 was expected");
    expect_failure(o, "expected: > F. 1:1(0) ack 7");
}

TEST(ScriptRunner, a_segment_outside_the_tolerance_fails_with_its_time) {
    const auto o = run(R"(+.1 close(4) = 0
+.01 > F. 1:1(0) ack 1
)");
    expect_failure(o, "the segment came at 0.200000, the script expects it in [0.206000, 0.214000]");
}

TEST(ScriptRunner, a_wrong_return_value_or_errno_fails) {
    auto o = run("+0 read(4, ..., 10) = -1 ECONNRESET (Connection reset by peer)\n");
    EXPECT_FALSE(o.passed);  // a blocking read with nothing to read never returns
    o = run("+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 ECONNRESET\n");
    expect_failure(o, "read() returned -1 EAGAIN, the script expects -1 ECONNRESET");
}

TEST(ScriptRunner, a_blocking_call_returns_when_the_engine_lets_it) {
    auto o = run("0.2...0.3 read(4, ..., 1000) = 100\n0.3 < P. 1:101(100) ack 1 win 257\n0.34 > . 1:1(0) ack 101\n");
    EXPECT_TRUE(o.passed) << o.failure;
    o = run("0.2...0.25 read(4, ..., 1000) = 100\n0.3 < P. 1:101(100) ack 1 win 257\n");
    expect_failure(o, "read() returned 100 at 0.300000, the script expects it to return at 0.250000");
}

TEST(ScriptRunner, a_call_that_can_never_return_fails_instead_of_hanging) {
    const auto o = run("+0 accept(3, ..., ...) = 5\n");
    expect_failure(o, "accept() blocks for ever");
}

TEST(ScriptRunner, expected_segments_that_never_come_fail) {
    const auto o = run("+1 > F. 1:1(0) ack 1\n");
    expect_failure(o, "the script expects a segment by 1.104000 but the engine sent nothing");
}

TEST(ScriptRunner, lenient_win_and_options_compare_only_flags_sequence_ack_and_length) {
    const std::string_view rest = "+.1 close(4) = 0\n+0 > F. 1:1(0) ack 1 win 9 <nop,nop,TS val 1 ecr 2>\n";
    EXPECT_FALSE(run(rest).passed);
    RunOptions lenient;
    lenient.lenient = {"win", "options"};
    EXPECT_TRUE(run(rest, lenient).passed);
}

TEST(ScriptRunner, sysctls_in_the_table_apply_and_others_are_counted) {
    auto s = parse_script(R"(0 `sysctl -q net.ipv4.tcp_rfc1337=0`
0 `sysctl -q net.core.somaxconn=4096`
0 `tc qdisc add dev tun0 root fq`
0 %{ print("hello") }%
)" + std::string{k_open} + R"(+.1 close(4) = 0
+0 > F. 1:1(0) ack 1
+0 < F. 1:1(0) ack 2 win 257
+0 > . 2:2(0) ack 2
+1 < R 2:2(0) win 0
+0 %{ assert tcpi_state == TCP_CLOSE }%
)",
                          "t.pkt");
    ASSERT_TRUE(s.ok()) << s.error().message;
    const auto o = run_script(*s, {});
    EXPECT_TRUE(o.passed) << o.failure;  // with RFC 1337 off, the RST ends TIME_WAIT
    EXPECT_EQ(o.shell_skipped, 2u);
    EXPECT_EQ(o.code_skipped, 1u);
}

TEST(ScriptRunner, a_known_sysctl_with_a_bad_value_fails) {
    auto s = parse_script("0 `sysctl -q net.ipv4.tcp_fin_timeout=soon`\n", "t.pkt");
    ASSERT_TRUE(s.ok());
    const auto o = run_script(*s, {});
    expect_failure(o, "t.pkt:1: sysctl net.ipv4.tcp_fin_timeout cannot take the value 'soon'");
}

TEST(ScriptRunner, a_wrong_tcpi_state_fails) {
    const auto o = run("+0 %{ assert tcpi_state == TCP_CLOSE_WAIT }%\n");
    expect_failure(o, "tcpi_state is TCP_ESTABLISHED, the script asserts TCP_CLOSE_WAIT");
}

TEST(ScriptRunner, a_call_the_runner_does_not_play_fails_rather_than_passing_silently) {
    const auto o = run("+0 poll([{fd=4, events=POLLIN}], 1, 0) = 0\n");
    expect_failure(o, "the runner does not play poll()");
}

TEST(ScriptRunner, a_number_too_large_in_a_flag_expression_fails_with_its_line) {
    const auto o = run("+0 fcntl(4, F_SETFL, O_RDWR|99999999999999999999999) = 0\n");
    expect_failure(o, "t.pkt:9: fcntl(): 99999999999999999999999 is not a number that fits in 64 bits");
}
