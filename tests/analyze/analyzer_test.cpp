// The analyzer on hand-built captures: the seed's situations (conversations
// with exact sequence numbers) and segments made for one anomaly each.
#include <gtest/gtest.h>

#include <map>

#include "analyze/analyzer.hpp"
#include "sim/seed_situations.hpp"

using namespace teardown;
using namespace teardown::analyze;
using wire::TcpFlags;

namespace {

std::vector<ConnectionRecord> analyze_all(const std::vector<TcpPacket>& packets, AnalyzerLimits limits = {}) {
    std::vector<ConnectionRecord> out;
    Analyzer a{limits, [&](ConnectionRecord&& r) { out.push_back(std::move(r)); }};
    for (const auto& p : packets) a.on_packet(p);
    a.finish();
    return out;
}

std::vector<TcpPacket> packets_of(const sim::Conversation& c) {
    std::vector<TcpPacket> out;
    for (const auto& s : c.segments()) {
        TcpPacket p;
        p.ts = s.at;
        p.src = {s.src, s.tcp.src_port};
        p.dst = {s.dst, s.tcp.dst_port};
        p.flags = s.tcp.flags;
        p.seq = s.tcp.seq;
        p.ack = s.tcp.ack;
        p.window = s.tcp.window;
        p.window_scale = s.tcp.options.window_scale;
        p.payload_len = static_cast<std::uint32_t>(s.payload.size());
        out.push_back(p);
    }
    return out;
}

const sim::SeedSituation& situation(const std::string& name) {
    static const auto all = sim::seed_situations();
    for (const auto& s : all)
        if (s.name == name) return s;
    throw std::runtime_error("no situation " + name);
}

ConnectionRecord only(const std::string& name) {
    const auto records = analyze_all(packets_of(situation(name).conversation));
    EXPECT_EQ(records.size(), 1u) << name;
    return records.empty() ? ConnectionRecord{} : records.front();
}

std::string anomalies(const ConnectionRecord& r) { return r.anomalies.to_string(); }

// A segment from `from` (true: the client 192.0.2.1:40000) to the server 192.0.2.2:80.
TcpPacket seg(bool from_client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0,
              std::int64_t ms = 0, std::uint16_t window = 64240) {
    const wire::Endpoint c{*wire::IpAddress::parse("192.0.2.1"), 40000};
    const wire::Endpoint s{*wire::IpAddress::parse("192.0.2.2"), 80};
    TcpPacket p;
    p.ts = Instant::from_seconds(1000) + Duration::millis(ms);
    p.src = from_client ? c : s;
    p.dst = from_client ? s : c;
    p.flags = TcpFlags{flags};
    p.seq = SeqNum{seq};
    p.ack = SeqNum{ack};
    p.payload_len = len;
    p.window = window;
    return p;
}

constexpr std::uint8_t S = TcpFlags::syn, A = TcpFlags::ack, F = TcpFlags::fin, R = TcpFlags::rst, P = TcpFlags::psh;
constexpr bool C = true, V = false;  // client, server

// SYN, SYN-ACK, ACK with the client at 100 and the server at 500.
std::vector<TcpPacket> handshake() { return {seg(C, S, 100, 0, 0, 0), seg(V, S | A, 500, 101, 0, 1), seg(C, A, 101, 501, 0, 2)}; }

std::vector<TcpPacket> with(std::vector<TcpPacket> a, const std::vector<TcpPacket>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace

TEST(Analyzer, the_seeds_closes_get_their_ending_closer_pattern_and_zeek_state) {
    struct Want {
        Ending ending;
        Closer closer;
        std::optional<Pattern> pattern;
        std::string conn_state;
    };
    const std::map<std::string, Want> want{
        {"four_way_close_by_client", {Ending::graceful, Closer::client, Pattern::four_way, "SF"}},
        {"four_way_close_by_server", {Ending::graceful, Closer::server, Pattern::four_way, "SF"}},
        {"three_way_close", {Ending::graceful, Closer::client, Pattern::three_way, "SF"}},
        {"simultaneous_close", {Ending::graceful, Closer::both, Pattern::simultaneous, "SF"}},
        {"half_close_server_keeps_sending", {Ending::graceful, Closer::client, Pattern::four_way, "SF"}},
        {"refused", {Ending::refused, Closer::server, std::nullopt, "REJ"}},
        {"server_crash_reset", {Ending::reset, Closer::server, std::nullopt, "RSTR"}},
        {"reset_on_close_with_unread_data", {Ending::reset, Closer::server, std::nullopt, "RSTR"}},
        {"lost_last_ack", {Ending::graceful, Closer::client, Pattern::four_way, "SF"}},
        {"peer_vanishes_after_fin", {Ending::unanswered, Closer::client, std::nullopt, "S2"}},
        {"reset_after_fin", {Ending::reset, Closer::client, std::nullopt, "RSTO"}},
    };
    for (const auto& [name, w] : want) {
        SCOPED_TRACE(name);
        const auto r = only(name);
        EXPECT_EQ(r.ending, w.ending);
        EXPECT_EQ(r.closer, w.closer);
        EXPECT_EQ(r.pattern, w.pattern);
        EXPECT_EQ(r.zeek_conn_state, w.conn_state);
        EXPECT_FALSE(r.client_inferred);
    }
}

TEST(Analyzer, a_graceful_close_has_its_timings_history_and_counts) {
    const auto r = only("four_way_close_by_client");
    EXPECT_EQ(r.zeek_history, "ShADadFf");
    ASSERT_TRUE(r.first_fin && r.last_ack && r.close_duration && r.half_close_duration);
    EXPECT_EQ(*r.close_duration, *r.last_ack - *r.first_fin);
    EXPECT_LT(*r.half_close_duration, *r.close_duration);
    EXPECT_EQ(r.from_client.bytes, 100u);
    EXPECT_EQ(r.from_server.bytes, 300u);
    EXPECT_EQ(r.from_client.fins, 1u);
    EXPECT_EQ(r.completeness, 31);
}

TEST(Analyzer, the_seeds_anomalies_are_named) {
    EXPECT_EQ(anomalies(only("lost_last_ack")), "fin_retransmitted,final_ack_lost");
    EXPECT_EQ(anomalies(only("peer_vanishes_after_fin")), "fin_retransmitted");
    EXPECT_EQ(anomalies(only("reset_after_fin")), "rst_after_fin");
    EXPECT_EQ(anomalies(only("half_close_server_keeps_sending")), "half_close_data");
    const auto crash = only("server_crash_reset");
    EXPECT_TRUE(crash.anomalies.has(Anomaly::unacked_data_at_reset));
    EXPECT_EQ(crash.reset_phase, ResetPhase::established);
}

// RFC 2525 §2.17: the server resets on close() with the request unread.
TEST(Analyzer, a_reset_that_acknowledges_data_never_answered_is_a_close_with_unread_data) {
    const auto unread = analyze_all(with(handshake(), {
                                                          seg(C, P | A, 101, 501, 200, 10),  // the request
                                                          seg(V, A, 501, 301, 0, 11),        // received
                                                          seg(V, R | A, 501, 301, 0, 100),   // close(): RST, not FIN
                                                      }));
    ASSERT_EQ(unread.size(), 1u);
    EXPECT_EQ(unread[0].ending, Ending::reset);
    EXPECT_NE(anomalies(unread[0]).find("unread_data_at_close"), std::string::npos) << anomalies(unread[0]);
    // Answered, then reset (an abort after the response): not the same thing.
    const auto answered = analyze_all(with(handshake(), {
                                                            seg(C, P | A, 101, 501, 200, 10),
                                                            seg(V, P | A, 501, 301, 50, 11),  // the response
                                                            seg(C, A, 301, 551, 0, 12),
                                                            seg(V, R | A, 551, 301, 0, 100),
                                                        }));
    ASSERT_EQ(answered.size(), 1u);
    EXPECT_EQ(anomalies(answered[0]).find("unread_data_at_close"), std::string::npos) << anomalies(answered[0]);
}

TEST(Analyzer, a_rst_outside_the_window_is_ignored_and_an_inexact_one_draws_a_challenge_ack) {
    auto p = with(handshake(), {
                                   seg(V, R, 500 + 10'000'000, 0, 0, 10),  // far outside: ignored
                                   seg(V, R, 600, 0, 0, 11),               // in the window, not RCV.NXT
                                   seg(C, A, 101, 501, 0, 12),             // the client's challenge ACK
                                   seg(C, P | A, 101, 501, 10, 20), seg(V, A, 501, 111, 0, 21),
                               });
    const auto records = analyze_all(p);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].ending, Ending::open);  // neither RST ended it
    EXPECT_EQ(anomalies(records[0]), "rst_out_of_window,rst_in_window_inexact,challenge_ack");
}

TEST(Analyzer, data_after_the_senders_own_fin_and_a_late_segment_after_the_close) {
    auto p = with(handshake(), {
                                   seg(C, F | A, 101, 501, 0, 10), seg(V, A, 501, 102, 0, 11),
                                   seg(C, P | A, 102, 501, 5, 12),  // data past its own FIN
                                   seg(V, F | A, 501, 102, 0, 13), seg(C, A, 102, 502, 0, 14),
                                   seg(V, P | A, 502, 102, 20, 500),  // after both FINs were acknowledged
                               });
    const auto r = analyze_all(p).front();
    EXPECT_EQ(r.ending, Ending::graceful);
    EXPECT_TRUE(r.anomalies.has(Anomaly::data_after_fin));
    EXPECT_TRUE(r.anomalies.has(Anomaly::late_segment_after_close));
}

TEST(Analyzer, a_retransmitted_syn_keepalive_probes_and_a_zero_window_at_close) {
    auto p = std::vector<TcpPacket>{seg(C, S, 100, 0, 0, 0), seg(C, S, 100, 0, 0, 1000)};
    p = with(p, {seg(V, S | A, 500, 101, 0, 1001), seg(C, A, 101, 501, 0, 1002),
                 seg(C, A, 100, 501, 0, 8000),  // keep-alive: SND.NXT - 1, no data
                 seg(V, A, 501, 101, 0, 8001), seg(V, F | A, 501, 101, 0, 9000, 0),  // FIN with a zero window
                 seg(C, A, 101, 502, 0, 9001), seg(C, F | A, 101, 502, 0, 9002), seg(V, A, 502, 102, 0, 9003)});
    const auto r = analyze_all(p).front();
    EXPECT_EQ(r.ending, Ending::graceful);
    EXPECT_EQ(r.closer, Closer::server);
    EXPECT_EQ(anomalies(r), "zero_window_at_close,keepalive_probes,syn_retransmitted");
}

TEST(Analyzer, a_rst_after_both_fins_were_acknowledged_hits_time_wait_and_leaves_the_close_graceful) {
    auto p = with(handshake(), {seg(C, F | A, 101, 501, 0, 10), seg(V, F | A, 501, 102, 0, 11), seg(C, A, 102, 502, 0, 12),
                                seg(V, R, 502, 0, 0, 20)});
    const auto r = analyze_all(p).front();
    EXPECT_EQ(r.ending, Ending::graceful);
    EXPECT_EQ(r.pattern, Pattern::three_way);
    EXPECT_TRUE(r.anomalies.has(Anomaly::rst_in_time_wait));
}

TEST(Analyzer, a_new_syn_on_the_same_ports_is_a_new_connection_flagged_within_2msl) {
    auto p = with(handshake(), {seg(C, F | A, 101, 501, 0, 10), seg(V, F | A, 501, 102, 0, 11), seg(C, A, 102, 502, 0, 12)});
    p = with(p, {seg(C, S, 90000, 0, 0, 30'000), seg(V, S | A, 7000, 90001, 0, 30'001), seg(C, A, 90001, 7001, 0, 30'002),
                 seg(C, R | A, 90001, 7001, 0, 30'003)});
    const auto records = analyze_all(p);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].ending, Ending::graceful);
    EXPECT_FALSE(records[0].anomalies.has(Anomaly::tuple_reused_within_2msl));
    EXPECT_EQ(records[1].ending, Ending::reset);
    EXPECT_EQ(records[1].reset_by, Side::client);
    EXPECT_TRUE(records[1].anomalies.has(Anomaly::tuple_reused_within_2msl));
    EXPECT_EQ(records[1].id, 2u);
}

TEST(Analyzer, a_capture_that_starts_mid_connection_guesses_the_client_by_the_ports_and_says_so) {
    const std::vector<TcpPacket> p{seg(V, P | A, 900, 300, 50, 0), seg(C, A, 300, 950, 0, 1), seg(C, F | A, 300, 950, 0, 2),
                                   seg(V, F | A, 950, 301, 0, 3), seg(C, A, 301, 951, 0, 4)};
    const auto r = analyze_all(p).front();
    EXPECT_TRUE(r.client_inferred);
    EXPECT_EQ(r.client.port, 40000);
    EXPECT_EQ(r.ending, Ending::graceful);
    EXPECT_EQ(r.closer, Closer::client);
    EXPECT_EQ(r.zeek_history.front(), '^');  // the server spoke first
}

TEST(Analyzer, one_direction_only_still_names_how_that_side_closed) {
    const std::vector<TcpPacket> p{seg(C, S, 100, 0, 0, 0), seg(C, A, 101, 501, 0, 2), seg(C, P | A, 101, 501, 10, 3),
                                   seg(C, F | A, 111, 501, 0, 4), seg(C, A, 112, 502, 0, 5)};
    const auto r = analyze_all(p).front();
    EXPECT_EQ(r.closer, Closer::client);
    EXPECT_EQ(r.from_server.packets, 0u);
    EXPECT_EQ(r.ending, Ending::half_open);  // the server's FIN is not in the capture
}

TEST(Analyzer, memory_stays_bounded_under_a_flood_of_four_tuples_and_nothing_is_lost) {
    AnalyzerLimits limits;
    limits.max_flows = 100;
    std::size_t reported = 0;
    std::size_t most = 0;
    Analyzer a{limits, [&](ConnectionRecord&&) { ++reported; }};
    for (std::uint32_t i = 0; i < 10'000; ++i) {
        TcpPacket p = seg(C, S, i, 0, 0, i);
        p.src.port = static_cast<std::uint16_t>(1024 + i % 60000);
        p.src.addr = *wire::IpAddress::parse("203.0.113." + std::to_string(i / 60000 + 1));
        a.on_packet(p);
        most = std::max(most, a.tracked());
    }
    a.finish();
    EXPECT_LE(most, 100u);
    EXPECT_EQ(reported, 10'000u);
    EXPECT_GT(a.counts().evicted_full, 9'000u);
    EXPECT_EQ(a.counts().connections, 10'000u);
}

TEST(Analyzer, an_idle_connection_is_reported_after_the_idle_limit) {
    AnalyzerLimits limits;
    limits.idle = Duration::seconds(60);
    std::vector<ConnectionRecord> out;
    Analyzer a{limits, [&](ConnectionRecord&& r) { out.push_back(std::move(r)); }};
    for (const auto& p : handshake()) a.on_packet(p);
    TcpPacket later = seg(C, S, 5, 0, 0, 120'000);
    later.src.port = 40001;
    a.on_packet(later);  // another connection, two minutes on
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(out.front().ending, Ending::open);
    EXPECT_EQ(a.counts().evicted_idle, 1u);
}

// A live capture's clock moves on while the interface is quiet: the same
// connection is reported at a quiet moment past the idle limit, with no
// frame after it, and a quiet moment behind the clock is no news (nothing
// counted, nothing out of order).
TEST(Analyzer, a_quiet_moment_past_the_idle_limit_reports_what_is_over_without_a_frame) {
    AnalyzerLimits limits;
    limits.idle = Duration::seconds(60);
    std::vector<ConnectionRecord> out;
    Analyzer a{limits, [&](ConnectionRecord&& r) { out.push_back(std::move(r)); }};
    const auto packets = handshake();
    for (const auto& p : packets) a.on_packet(p);
    const Instant last = packets.back().ts;
    a.on_quiet(last - Duration::seconds(5));  // behind the clock
    a.on_quiet(last + Duration::seconds(30));  // not idle long enough
    EXPECT_TRUE(out.empty());
    a.on_quiet(last + Duration::seconds(61));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out.front().ending, Ending::open);
    EXPECT_EQ(a.counts().evicted_idle, 1u);
    EXPECT_EQ(a.counts().out_of_order, 0u);
    EXPECT_EQ(a.counts().packets, packets.size());
    a.finish();
    EXPECT_EQ(out.size(), 1u);  // reported once
}

// Ten thousand open connections over three chunks of the table; one of
// them closes at 300 s, after a sweep has read its chunk. Sweeps read only
// chunks where one may be over, yet the closed one is reported 2 MSL after
// its close, and the open ones at the idle limit, each once.
TEST(Analyzer, sweeps_find_every_connection_that_is_over_in_a_large_table) {
    AnalyzerLimits limits;
    limits.idle = Duration::seconds(1000);
    std::vector<ConnectionRecord> out;
    std::vector<std::int64_t> reported_at;
    std::int64_t now_ms = 0;
    Analyzer a{limits, [&](ConnectionRecord&& r) {
        out.push_back(std::move(r));
        reported_at.push_back(now_ms);
    }};
    const auto on_port = [](TcpPacket p, int i) {
        (p.src.port == 40000 ? p.src : p.dst).port = static_cast<std::uint16_t>(20000 + i);
        return p;
    };
    for (int i = 0; i < 10'000; ++i)
        for (const auto& p : handshake()) a.on_packet(on_port(p, i));
    const auto at = [](bool from, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::int64_t ms) {
        return seg(from, flags, seq, ack, 0, ms);
    };
    // A keep-alive on connection 0 every 5 s of capture time moves the clock on.
    for (now_ms = 5'000; now_ms <= 1'100'000; now_ms += 5'000) {
        a.on_packet(on_port(at(C, A, 100, 501, now_ms), 0));
        if (now_ms == 300'000)
            for (const auto& p : {at(C, F | A, 101, 501, now_ms), at(V, A, 501, 102, now_ms), at(V, F | A, 501, 102, now_ms),
                                  at(C, A, 102, 502, now_ms)})
                a.on_packet(on_port(p, 5'000));
    }
    ASSERT_EQ(out.size(), 9'999u);  // all but connection 0
    EXPECT_EQ(out.front().ending, Ending::graceful);
    EXPECT_EQ(out.front().client.port, 25'000);
    EXPECT_GE(reported_at.front(), 540'000);  // 2 MSL after its last packet
    EXPECT_LE(reported_at.front(), 560'000);
    for (std::size_t i = 1; i < out.size(); ++i) {
        EXPECT_EQ(out[i].ending, Ending::open);
        EXPECT_GE(reported_at[i], 1'000'000);  // the idle limit after their handshakes
        EXPECT_LE(reported_at[i], 1'020'000);
    }
    EXPECT_EQ(a.counts().evicted_idle, 9'998u);
    a.finish();
    EXPECT_EQ(out.size(), 10'000u);
}

// A packed tracker must hold what a wide one would: IPv6 endpoints from the
// side table, close times days after the start, counts past 16 bits.
TEST(Analyzer, ipv6_connections_keep_their_endpoints_and_reuse_their_slots) {
    AnalyzerLimits limits;
    limits.idle = Duration::seconds(60);
    std::vector<ConnectionRecord> out;
    Analyzer a{limits, [&](ConnectionRecord&& r) { out.push_back(std::move(r)); }};
    const auto client = [](int i) { return wire::Endpoint{*wire::IpAddress::parse("2001:db8::" + std::to_string(i + 10)), 50000}; };
    const wire::Endpoint server{*wire::IpAddress::parse("2001:db8::1"), 443};
    for (int i = 0; i < 300; ++i) {
        // One connection every two minutes: each is idle-reported before the next begins.
        for (auto p : handshake()) {
            const bool up = p.src.port == 40000;
            p.src = up ? client(i) : server;
            p.dst = up ? server : client(i);
            p.ts = p.ts + Duration::seconds(120) * i;
            a.on_packet(p);
        }
        EXPECT_LE(a.tracked(), 1u);
    }
    a.finish();
    ASSERT_EQ(out.size(), 300u);
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(out[static_cast<std::size_t>(i)].client, client(i));
        EXPECT_EQ(out[static_cast<std::size_t>(i)].server, server);
    }
    // 300 IPv6 connections came and went through one side-table slot, and the
    // ends remembered for tuple reuse were forgotten after 2 MSL.
    EXPECT_LT(a.table_bytes(), 64u * 1024u);
}

TEST(Analyzer, close_times_days_after_the_start_keep_their_microseconds) {
    AnalyzerLimits limits;
    limits.idle = Duration::seconds(7 * 24 * 3600);
    // The FIN comes 40 hours and 1.5 ms after the SYN (beyond the 39 hours kept in nanoseconds).
    const std::int64_t fin_ms = 40LL * 3600 * 1000;
    auto p = with(handshake(), {seg(C, F | A, 101, 501, 0, fin_ms), seg(V, F | A, 501, 102, 0, fin_ms + 1),
                                seg(C, A, 102, 502, 0, fin_ms + 2)});
    for (auto& x : p) x.ts = x.ts + Duration::micros(500);
    const auto records = analyze_all(p, limits);
    ASSERT_EQ(records.size(), 1u);
    const auto& r = records.front();
    EXPECT_EQ(r.ending, Ending::graceful);
    ASSERT_TRUE(r.first_fin && r.close_duration && r.half_close_duration);
    EXPECT_EQ(*r.first_fin, Instant::from_seconds(1000) + Duration::millis(fin_ms) + Duration::micros(500));
    EXPECT_EQ(*r.close_duration, Duration::millis(2));
    EXPECT_EQ(*r.half_close_duration, Duration::millis(1));
    EXPECT_EQ(r.end - r.start, Duration::millis(fin_ms + 2));
}

TEST(Analyzer, counts_past_sixteen_bits_are_kept_and_rst_counts_stop_at_their_top) {
    std::vector<TcpPacket> p = handshake();
    // 70,000 data segments from the client, then 70,000 out-of-window RSTs (a blind attack).
    for (std::uint32_t i = 0; i < 70'000; ++i) p.push_back(seg(C, P | A, 101 + i * 10, 501, 10, 3));
    for (std::uint32_t i = 0; i < 70'000; ++i) p.push_back(seg(V, R, 9'000'000 + i * 70'000, 0, 0, 4));
    const auto records = analyze_all(p);
    ASSERT_EQ(records.size(), 1u);
    const auto& r = records.front();
    EXPECT_EQ(r.from_client.packets, 70'002u);
    EXPECT_EQ(r.from_client.bytes, 700'000u);
    EXPECT_EQ(r.from_server.rsts, 65'535u);  // 16 bits: it stops, it does not wrap
    EXPECT_TRUE(r.anomalies.has(Anomaly::rst_out_of_window));
    EXPECT_EQ(r.ending, Ending::open);
}
