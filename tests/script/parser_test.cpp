#include <gtest/gtest.h>

#include "script/script.hpp"

using namespace teardown;
using namespace teardown::script;

namespace {

Script parse_ok(std::string_view text) {
    auto s = parse_script(text, "t.pkt");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : Script{};
}

std::string parse_error(std::string_view text) {
    auto s = parse_script(text, "t.pkt");
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.error().message;
}

template <typename T>
const T& line(const Script& s, std::size_t i) {
    return std::get<T>(s.lines.at(i));
}

} // namespace

TEST(ScriptParser, a_whole_passive_close_script_parses_line_by_line) {
    const auto s = parse_ok(R"(// The peer closes first: CLOSE_WAIT until we close, then LAST_ACK.
--tolerance_usecs=10000
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 257
+0  accept(3, ..., ...) = 4
+0  < F. 1:1(0) ack 1 win 257
+0  > . 1:1(0) ack 2
+0  %{ assert tcpi_state == TCP_CLOSE_WAIT }%
+0  read(4, ..., 10) = 0
+0  close(4) = 0
+0  > F. 1:1(0) ack 2
+.1 < . 2:2(0) ack 2 win 257
)");
    EXPECT_EQ(s.tolerance_usecs, 10000);
    ASSERT_EQ(s.lines.size(), 15u);
    const auto& sock = line<CallLine>(s, 0);
    EXPECT_EQ(sock.name, "socket");
    EXPECT_EQ(sock.time.kind, Time::Kind::absolute);
    ASSERT_EQ(sock.args.size(), 3u);
    EXPECT_EQ(sock.args[0].kind, Argument::Kind::elided);
    EXPECT_EQ(sock.args[1].text, "SOCK_STREAM");
    EXPECT_EQ(sock.result, 3);
    const auto& syn = line<PacketLine>(s, 4);
    EXPECT_TRUE(syn.inbound);
    EXPECT_EQ(syn.flags, 0x02);
    EXPECT_EQ(syn.window, 32792u);
    ASSERT_TRUE(syn.options);
    ASSERT_EQ(syn.options->size(), 6u);
    EXPECT_EQ((*syn.options)[0].kind, TcpOptionSpec::Kind::mss);
    EXPECT_EQ((*syn.options)[0].value, 1000u);
    EXPECT_EQ((*syn.options)[5].kind, TcpOptionSpec::Kind::window_scale);
    EXPECT_EQ((*syn.options)[5].value, 7u);
    const auto& synack = line<PacketLine>(s, 5);
    EXPECT_FALSE(synack.inbound);
    EXPECT_EQ(synack.flags, 0x12);
    EXPECT_EQ(synack.ack, 1u);
    EXPECT_TRUE(synack.options_any);
    const auto& ack = line<PacketLine>(s, 6);
    EXPECT_EQ(ack.time.kind, Time::Kind::relative);
    EXPECT_EQ(ack.time.usecs, 100'000);
    const auto& code = line<CodeBlock>(s, 10);
    EXPECT_EQ(code.asserts, (std::vector<CodeAssert>{{"tcpi_state", "TCP_CLOSE_WAIT"}}));
    EXPECT_EQ(line<PacketLine>(s, 13).where.line, 16);
}

TEST(ScriptParser, times_absolute_relative_ranges_any_and_blocking) {
    const auto s = parse_ok("1.5 close(3) = 0\n+0.25~+0.5 close(3) = 0\n* > . 1:1(0) ack 1\n0.100...0.200 read(4, ..., 5) = 5\n");
    EXPECT_EQ(line<CallLine>(s, 0).time.usecs, 1'500'000);
    const auto& r = line<CallLine>(s, 1).time;
    EXPECT_EQ(r.kind, Time::Kind::relative);
    EXPECT_EQ(r.usecs, 250'000);
    EXPECT_EQ(r.range_end, 500'000);
    EXPECT_EQ(line<PacketLine>(s, 2).time.kind, Time::Kind::any);
    const auto& b = line<CallLine>(s, 3).time;
    EXPECT_EQ(b.usecs, 100'000);
    EXPECT_EQ(b.blocking_end, 200'000);
}

TEST(ScriptParser, errors_with_their_errno_and_text) {
    const auto s = parse_ok("+0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n"
                            "+0 write(4, ..., 1) = -1 ECONNRESET (Connection reset by peer)\n"
                            "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n");
    const auto& r = line<CallLine>(s, 0);
    EXPECT_EQ(r.result, -1);
    EXPECT_EQ(r.errno_name, "EAGAIN");
    EXPECT_EQ(r.errno_text, "Resource temporarily unavailable");
    EXPECT_EQ(line<CallLine>(s, 1).errno_name, "ECONNRESET");
}

TEST(ScriptParser, structures_arrays_and_flag_expressions_as_arguments) {
    const auto s = parse_ok("+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
                            "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                            "+0 shutdown(4, SHUT_WR) = 0\n");
    const auto& linger = line<CallLine>(s, 0).args[3];
    ASSERT_EQ(linger.kind, Argument::Kind::structure);
    EXPECT_EQ(linger.field_names, (std::vector<std::string>{"onoff", "linger"}));
    ASSERT_EQ(linger.field_values.size(), 2u);
    EXPECT_EQ(linger.field_values[0].integer, 1);
    EXPECT_EQ(linger.field_values[1].integer, 0);
    const auto& flags = line<CallLine>(s, 1).args[2];
    EXPECT_EQ(flags.kind, Argument::Kind::expression);
    EXPECT_EQ(flags.text, "O_RDWR|O_NONBLOCK");
}

TEST(ScriptParser, packet_flags_data_ranges_timestamps_and_sack) {
    const auto s = parse_ok("+0 > P. 1:1001(1000) ack 1 <nop,nop,TS val 100 ecr 200>\n"
                            "+0 < . 1:1(0) ack 1001 win 257 <sack 1:100 200:300,nop,nop>\n"
                            "+0 < R. 1:1(0) ack 1 win 0\n"
                            "+0 > FP. 1001:1011(10) ack 1\n"
                            "+0 < - 1:1(0) win 0\n");
    const auto& data = line<PacketLine>(s, 0);
    EXPECT_EQ(data.flags, 0x18);
    EXPECT_EQ(data.seq_start, 1u);
    EXPECT_EQ(data.seq_end, 1001u);
    EXPECT_EQ(data.payload_len, 1000u);
    const auto& ts = (*data.options)[2];
    EXPECT_EQ(ts.kind, TcpOptionSpec::Kind::timestamps);
    EXPECT_EQ(ts.value, 100u);
    EXPECT_EQ(ts.value2, 200u);
    const auto& sack = (*line<PacketLine>(s, 1).options)[0];
    EXPECT_EQ(sack.kind, TcpOptionSpec::Kind::sack);
    EXPECT_EQ(sack.blocks, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 100}, {200, 300}}));
    EXPECT_EQ(line<PacketLine>(s, 2).flags, 0x14);
    EXPECT_EQ(line<PacketLine>(s, 3).flags, 0x19);
    EXPECT_EQ(line<PacketLine>(s, 4).flags, 0);
}

TEST(ScriptParser, header_flags_are_read_or_noted_and_sysctls_recognised) {
    const auto s = parse_ok("--ip_version=ipv6\n--lenient=win,options\n--mtu=1500\n"
                            "0 `sysctl -q net.ipv4.tcp_rfc1337=1`\n+0 `ip link set lo up`\n");
    EXPECT_EQ(s.ip_version, "ipv6");
    EXPECT_EQ(s.lenient, (std::vector<std::string>{"win", "options"}));
    EXPECT_EQ(s.ignored_flags, std::vector<std::string>{"--mtu=1500"});
    const auto& sysctl = line<ShellLine>(s, 0);
    ASSERT_TRUE(sysctl.sysctl);
    EXPECT_EQ(sysctl.sysctl->first, "net.ipv4.tcp_rfc1337");
    EXPECT_EQ(sysctl.sysctl->second, "1");
    EXPECT_FALSE(line<ShellLine>(s, 1).sysctl);
}

TEST(ScriptParser, every_assert_of_a_code_block_is_kept_by_name_and_value) {
    const auto s = parse_ok("0 %{ assert tcpi_state == TCP_TIME_WAIT; assert  TcpExtTW==2\n"
                            "x = 1; reassert tcpi_rto == 3; assert tcpi_snd_cwnd > 3 }%\n");
    EXPECT_EQ(line<CodeBlock>(s, 0).asserts,
              (std::vector<CodeAssert>{{"tcpi_state", "TCP_TIME_WAIT"}, {"TcpExtTW", "2"}}));
}

TEST(ScriptParser, comments_of_both_kinds_are_skipped) {
    const auto s = parse_ok("/* a\n   block */ 0 close(3) = 0 // trailing\n// a line\n+0 close(4) = 0\n");
    ASSERT_EQ(s.lines.size(), 2u);
    EXPECT_EQ(line<CallLine>(s, 1).where.line, 4);
}

TEST(ScriptParser, malformed_lines_name_file_line_and_column) {
    EXPECT_EQ(parse_error("0 close(3) = 0\n/* never closed"), "t.pkt:2:1: unterminated /* comment");
    EXPECT_EQ(parse_error("0 < X 0:0(0) win 1\n"),
              "t.pkt:1:5: expected TCP flags such as S, S., ., P., F., R or - but found 'X'");
    EXPECT_EQ(parse_error("+0 < S 0:0(0) win 100 <mss x>\n"), "t.pkt:1:28: expected a number but found 'x>'");
    EXPECT_EQ(parse_error("+0 < S 0:0(0) <mss 1000;\n"), "t.pkt:1:24: expected ',' or '>' in the option list but found ';'");
    EXPECT_EQ(parse_error("+0 close(3) 0\n"), "t.pkt:1:13: expected '=' and the expected result but found '0'");
    EXPECT_EQ(parse_error("+0 setsockopt(3, {onoff=1, linger=0, 8) = 0\n"),
              "t.pkt:1:39: expected '=' after a field name but found ')'");
    EXPECT_EQ(parse_error("0.5~0.2 close(3) = 0\n"), "t.pkt:1:5: a time range must not end before it starts");
    EXPECT_EQ(parse_error("+0 < . 1:10(5) ack 1\n"), "t.pkt:1:1: sequence range 1:10 does not span its length 5");
    EXPECT_EQ(parse_error("+0 < . 1:1(0) ackk 1\n"), "t.pkt:1:15: expected 'ack', 'win' or '<options>' but found 'ackk'");
    EXPECT_EQ(parse_error("+0 %{ assert tcpi_state == 1\n"), "t.pkt:1:1: unterminated %{ code block }%");
    EXPECT_EQ(parse_error("+0 `sysctl -q x=1\n"), "t.pkt:1:1: unterminated `shell command`");
    EXPECT_EQ(parse_error("+0 write(4, ..., 99999999999999999999999) = 0\n"),
              "t.pkt:1:18: number '99999999999999999999999' is too large");
    EXPECT_EQ(parse_error("--ip_version=ipv5\n"), "t.pkt:1:1: --ip_version must be ipv4, ipv6 or ipv4-mapped-ipv6, not 'ipv5'");
}

TEST(ScriptParser, a_missing_file_is_an_error_naming_it) {
    auto s = load_script("/nonexistent/x.pkt");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "/nonexistent/x.pkt: cannot open");
}
