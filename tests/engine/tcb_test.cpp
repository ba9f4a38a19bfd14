// Ladders for one connection. We are 192.0.2.1:40000 (ISS 100); the script
// plays the peer 192.0.2.2:80 (ISS 300). Each test builds the endpoint in a
// named state, feeds the peer's segments at virtual times and compares what
// comes back, segment by segment.
#include <gtest/gtest.h>

#include "engine/tcb.hpp"

using namespace teardown;
using namespace teardown::engine;
using wire::TcpFlags;

namespace {

constexpr std::uint8_t S = TcpFlags::syn, A = TcpFlags::ack, F = TcpFlags::fin, R = TcpFlags::rst,
                       P = TcpFlags::psh;

const wire::FourTuple k_tuple{{*wire::IpAddress::parse("192.0.2.1"), 40000}, {*wire::IpAddress::parse("192.0.2.2"), 80}};

struct Expect {
    std::uint8_t flags;
    std::uint32_t seq;
    std::uint32_t ack;
    std::size_t len{0};
};

class Ladder {
public:
    explicit Ladder(Config c = Config::rfc()) : tcb{c, k_tuple}, config{c} {}

    Tcb tcb;
    Config config;
    Instant now{Instant::from_seconds(1000)};

    // A segment from the peer.
    static Segment from_peer(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::size_t len = 0,
                             std::uint16_t win = 65535) {
        Segment s;
        s.src = k_tuple.remote.addr;
        s.dst = k_tuple.local.addr;
        s.tcp.src_port = 80;
        s.tcp.dst_port = 40000;
        s.tcp.flags = TcpFlags{flags};
        s.tcp.seq = SeqNum{seq};
        s.tcp.ack = SeqNum{ack};
        s.tcp.window = win;
        if (flags & S) s.tcp.options.mss = 1460;  // the peer's SYN announces an Ethernet-sized MSS
        s.payload.assign(len, std::byte{'p'});
        return s;
    }
    // The peer sends.
    void peer(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::size_t len = 0, std::uint16_t win = 65535) {
        tcb.on_segment(now, from_peer(flags, seq, ack, len, win));
    }
    void after(Duration d) {
        now += d;
        tcb.on_timer(now);
    }
    // We sent exactly these, in order.
    void expect(std::initializer_list<Expect> want) {
        auto got = tcb.take_segments();
        ASSERT_EQ(got.size(), want.size());
        std::size_t i = 0;
        for (const auto& w : want) {
            const auto& g = got[i++];
            SCOPED_TRACE("segment " + std::to_string(i));
            EXPECT_EQ(g.tcp.flags.to_tcpdump(), TcpFlags{w.flags}.to_tcpdump());
            EXPECT_EQ(g.tcp.seq.raw(), w.seq);
            if (w.flags & A) {
                EXPECT_EQ(g.tcp.ack.raw(), w.ack);
            }
            EXPECT_EQ(g.payload.size(), w.len);
        }
    }
    void expect_nothing() { EXPECT_TRUE(tcb.take_segments().empty()); }
    // Drops what getting here produced: a test starts from the named state.
    void forget() {
        tcb.take_segments();
        tcb.take_state_changes();
        tcb.take_events();
    }
    std::vector<std::pair<TcpState, Cause>> changes() {
        std::vector<std::pair<TcpState, Cause>> out;
        for (const auto& c : tcb.take_state_changes()) out.emplace_back(c.to, c.cause);
        return out;
    }
};

using SC = std::vector<std::pair<TcpState, Cause>>;

// Named states, reached the way a real connection reaches them.
Ladder established_with(Config c) {
    Ladder l{c};
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101);
    l.forget();
    return l;
}
Ladder established() { return established_with(Config::rfc()); }
Ladder fin_wait_1() {
    Ladder l = established();
    l.tcb.close(l.now);
    l.forget();
    return l;
}
Ladder fin_wait_2() {
    Ladder l = fin_wait_1();
    l.peer(A, 301, 102);
    l.forget();
    return l;
}
Ladder time_wait() {
    Ladder l = fin_wait_2();
    l.peer(F | A, 301, 102);
    l.forget();
    return l;
}
Ladder close_wait() {
    Ladder l = established();
    l.peer(F | A, 301, 101);
    l.forget();
    return l;
}
Ladder last_ack() {
    Ladder l = close_wait();
    l.tcb.close(l.now);
    l.forget();
    return l;
}
Ladder closing() {
    Ladder l = fin_wait_1();
    l.peer(F | A, 301, 101);
    l.forget();
    return l;
}

} // namespace

TEST(Tcb, active_open_sends_syn_and_establishes_on_syn_ack) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.expect({{S, 100, 0}});
    l.peer(S | A, 300, 101);
    l.expect({{A, 101, 301}});
    EXPECT_EQ(l.changes(), (SC{{TcpState::syn_sent, Cause::app_connect}, {TcpState::established, Cause::recv_syn_ack}}));
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
}

TEST(Tcb, passive_open_answers_syn_and_establishes_on_ack) {
    Ladder l;
    Segment syn = Ladder::from_peer(S, 300, 0);
    l.tcb.accept_syn(l.now, syn, SeqNum{100});
    l.expect({{S | A, 100, 301}});
    l.peer(A, 301, 101);
    l.expect_nothing();
    EXPECT_EQ(l.tcb.state(), TcpState::established);
}

TEST(Tcb, simultaneous_open_goes_through_syn_received) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.peer(S, 300, 0);  // the peer's SYN crosses ours
    l.expect({{S | A, 100, 301}});
    l.peer(S | A, 300, 101);  // the peer's SYN-ACK, crossing ours, acknowledges our SYN
    l.expect_nothing();
    EXPECT_EQ(l.tcb.state(), TcpState::established);
    EXPECT_EQ(l.changes(), (SC{{TcpState::syn_sent, Cause::app_connect},
                               {TcpState::syn_received, Cause::recv_syn},
                               {TcpState::established, Cause::recv_syn_ack}}));
}

TEST(Tcb, refused_connect_reports_econnrefused) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.peer(R | A, 0, 101);
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.tcb.error(), Errno::econnrefused);
    EXPECT_EQ(l.changes(), (SC{{TcpState::syn_sent, Cause::app_connect}, {TcpState::closed, Cause::recv_rst}}));
}

TEST(Tcb, four_way_close_we_close_first) {
    Ladder l = established();
    l.tcb.close(l.now);
    l.expect({{F | A, 101, 301}});                  // 1. FIN
    l.peer(A, 301, 102);                            // 2. ACK
    l.peer(F | A, 301, 102);                        // 3. FIN
    l.expect({{A, 102, 302}});                      // 4. ACK
    EXPECT_EQ(l.changes(), (SC{{TcpState::fin_wait_1, Cause::app_close},
                               {TcpState::fin_wait_2, Cause::recv_ack},
                               {TcpState::time_wait, Cause::recv_fin}}));
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(240));
}

TEST(Tcb, four_way_close_peer_closes_first_we_pass_through_close_wait_and_last_ack) {
    Ladder l = established();
    l.peer(F | A, 301, 101);
    l.expect({{A, 101, 302}});
    std::array<std::byte, 8> buf{};
    auto eof = l.tcb.recv(buf);
    EXPECT_TRUE(eof.ok());
    EXPECT_EQ(eof.bytes, 0u);  // end of stream
    l.tcb.close(l.now);
    l.expect({{F | A, 101, 302}});
    l.peer(A, 302, 102);
    EXPECT_EQ(l.changes(), (SC{{TcpState::close_wait, Cause::recv_fin},
                               {TcpState::last_ack, Cause::app_close},
                               {TcpState::closed, Cause::recv_ack}}));
}

TEST(Tcb, three_way_close_fin_on_the_ack_goes_straight_to_time_wait) {
    Ladder l = fin_wait_1();
    l.peer(F | A, 301, 102);
    l.expect({{A, 102, 302}});
    EXPECT_EQ(l.changes(), (SC{{TcpState::time_wait, Cause::recv_fin_ack}}));
}

TEST(Tcb, simultaneous_close_passes_through_closing) {
    Ladder l = fin_wait_1();
    l.peer(F | A, 301, 101);  // the peer's FIN, sent before it saw ours
    l.expect({{A, 102, 302}});
    l.peer(A, 302, 102);
    EXPECT_EQ(l.changes(), (SC{{TcpState::closing, Cause::recv_fin}, {TcpState::time_wait, Cause::recv_ack}}));
}

TEST(Tcb, half_close_keeps_receiving_and_acking_until_the_peers_fin) {
    Ladder l = established();
    EXPECT_EQ(l.tcb.shutdown_write(l.now), Errno::none);
    l.expect({{F | A, 101, 301}});
    l.peer(A, 301, 102);
    l.peer(P | A, 301, 102, 500);  // the peer keeps sending
    l.expect({{A, 102, 801}});
    l.peer(P | A, 801, 102, 500);
    l.expect({{A, 102, 1301}});
    std::array<std::byte, 2000> buf{};
    EXPECT_EQ(l.tcb.recv(buf).bytes, 1000u);
    l.peer(F | A, 1301, 102);
    l.expect({{A, 102, 1302}});
    EXPECT_EQ(l.tcb.state(), TcpState::time_wait);
    EXPECT_EQ(l.changes(), (SC{{TcpState::fin_wait_1, Cause::app_shutdown_write},
                               {TcpState::fin_wait_2, Cause::recv_ack},
                               {TcpState::time_wait, Cause::recv_fin}}));
}

TEST(Tcb, fin_rides_on_the_last_data_when_the_window_held_it_back) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101, 0, 1000);
    l.tcb.take_segments();
    std::vector<std::byte> data(2000, std::byte{'d'});
    EXPECT_EQ(l.tcb.send(l.now, data).bytes, 2000u);
    l.expect({{A, 101, 301, 1000}});  // the peer's window holds the rest back
    l.tcb.close(l.now);
    l.expect_nothing();               // the FIN waits behind the queued bytes
    l.peer(A, 301, 1101, 0, 1000);
    l.expect({{F | P | A, 1101, 301, 1000}});
    EXPECT_EQ(l.tcb.state(), TcpState::fin_wait_1);
}

TEST(Tcb, close_while_connecting_drops_the_attempt) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.tcb.close(l.now);
    l.expect_nothing();
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
}

TEST(Tcb, fin_follows_every_queued_byte) {
    Ladder l = established();
    std::vector<std::byte> data(3000, std::byte{'d'});
    EXPECT_EQ(l.tcb.send(l.now, data).bytes, 3000u);
    l.expect({{A, 101, 301, 1460}, {A, 1561, 301, 1460}, {P | A, 3021, 301, 80}});
    l.tcb.close(l.now);
    l.expect({{F | A, 3101, 301}});  // the FIN takes the sequence number after the last byte
    EXPECT_EQ(l.tcb.send(l.now, data).error, Errno::epipe);
}

TEST(Tcb, close_with_unread_data_resets) {
    Ladder l = established();
    l.peer(P | A, 301, 101, 10);
    l.tcb.take_segments();
    l.tcb.close(l.now);
    l.expect({{R | A, 101, 311}});
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_TRUE(l.tcb.anomalies().has(Anomaly::unread_data_at_close));
}

TEST(Tcb, data_arriving_after_close_resets) {
    Ladder l = fin_wait_2();
    l.peer(P | A, 301, 102, 20);
    l.expect({{R | A, 102, 301}});
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::send_rst}}));
}

TEST(Tcb, linger_zero_close_aborts_with_rst) {
    Ladder l = established();
    l.tcb.close_linger_zero(l.now);
    l.expect({{R | A, 101, 301}});
    EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::app_abort}}));
}

TEST(Tcb, rst_at_rcv_nxt_ends_every_synchronized_state) {
    struct Case {
        const char* name;
        Ladder (*make)();
        std::uint32_t rcv_nxt;
        Errno error;
    };
    for (const auto& c : {Case{"established", established, 301, Errno::econnreset},
                          Case{"fin_wait_1", fin_wait_1, 301, Errno::econnreset},
                          Case{"fin_wait_2", fin_wait_2, 301, Errno::econnreset},
                          Case{"close_wait", close_wait, 302, Errno::econnreset},
                          Case{"closing", closing, 302, Errno::none},
                          Case{"last_ack", last_ack, 302, Errno::none}}) {
        SCOPED_TRACE(c.name);
        Ladder l = c.make();
        l.peer(R, c.rcv_nxt, 0);
        l.expect_nothing();
        EXPECT_EQ(l.tcb.state(), TcpState::closed);
        EXPECT_EQ(l.tcb.error(), c.error);
        EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::recv_rst}}));
    }
}

TEST(Tcb, rst_in_time_wait_is_ignored_by_rfc1337) {
    Ladder l = time_wait();
    l.peer(R, 302, 0);
    l.expect_nothing();
    EXPECT_EQ(l.tcb.state(), TcpState::time_wait);  // no assassination: 2 MSL still runs
    EXPECT_TRUE(l.tcb.anomalies().has(Anomaly::rst_in_time_wait));
}

TEST(Tcb, rst_in_time_wait_closes_when_rfc1337_is_off) {
    Config c;
    c.rfc1337 = false;
    Ladder l = established_with(c);
    l.tcb.close(l.now);
    l.peer(F | A, 301, 102);
    ASSERT_EQ(l.tcb.state(), TcpState::time_wait);
    l.tcb.take_state_changes();
    l.peer(R, 302, 0);
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::recv_rst}}));
}

TEST(Tcb, an_orphan_in_fin_wait_2_gives_up_on_a_peer_that_never_closes) {
    Ladder l = fin_wait_2();  // close() was called: nobody will read
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(60));
    l.after(Duration::seconds(60));
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    l.expect_nothing();
    EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::timer_fin_wait_2}}));
}

TEST(Tcb, a_half_closed_connection_waits_in_fin_wait_2_as_long_as_its_application_lives) {
    Ladder l = established();
    l.tcb.shutdown_write(l.now);
    l.peer(A, 301, 102);
    EXPECT_EQ(l.tcb.state(), TcpState::fin_wait_2);
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
    l.tcb.close(l.now);  // now it is an orphan, and the timer starts
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(60));
}

TEST(Tcb, rst_in_window_but_not_at_rcv_nxt_gets_a_challenge_ack) {
    Ladder l = established();
    l.peer(R, 401, 0);
    l.expect({{A, 101, 301}});
    EXPECT_EQ(l.tcb.state(), TcpState::established);
    EXPECT_TRUE(l.tcb.anomalies().has(Anomaly::rst_in_window_inexact));
}

TEST(Tcb, rst_outside_the_window_is_dropped_silently) {
    Ladder l = established();
    l.peer(R, 300 + 70000 + 1000, 0);
    l.expect_nothing();
    EXPECT_EQ(l.tcb.state(), TcpState::established);
}

TEST(Tcb, syn_in_a_synchronized_state_gets_a_challenge_ack) {
    Ladder l = established();
    l.peer(S, 9999, 0);
    l.expect({{A, 101, 301}});
    EXPECT_EQ(l.tcb.state(), TcpState::established);
}

TEST(Tcb, time_wait_reacks_retransmitted_fin_and_restarts_2msl) {
    Ladder l = time_wait();
    l.now += Duration::seconds(100);
    l.peer(F | A, 301, 102);  // our last ACK was lost
    l.expect({{A, 102, 302}});
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(240));
    EXPECT_EQ(l.tcb.state(), TcpState::time_wait);
}

TEST(Tcb, time_wait_ends_after_2msl) {
    Ladder l = time_wait();
    l.after(Duration::seconds(239));
    EXPECT_EQ(l.tcb.state(), TcpState::time_wait);
    l.after(Duration::seconds(1));
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.changes(), (SC{{TcpState::closed, Cause::timer_2msl}}));
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
}

TEST(Tcb, linux_profile_holds_time_wait_for_60_seconds) {
    Ladder l{Config::linux()};
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101);
    l.tcb.close(l.now);
    l.peer(F | A, 301, 102);
    EXPECT_EQ(l.tcb.state(), TcpState::time_wait);
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(60));
}

TEST(Tcb, fin_is_retransmitted_with_backoff_until_acked) {
    Ladder l = fin_wait_1();
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(1));
    l.after(Duration::seconds(1));
    l.expect({{F | A, 101, 301}});
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(2));
    l.after(Duration::seconds(2));
    l.expect({{F | A, 101, 301}});
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(4));
    l.peer(A, 301, 102);
    EXPECT_EQ(l.tcb.state(), TcpState::fin_wait_2);
    EXPECT_TRUE(l.tcb.anomalies().has(Anomaly::fin_retransmitted));
}

TEST(Tcb, syn_is_retransmitted_with_backoff) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.after(Duration::seconds(1));
    l.expect({{S, 100, 0}});
    l.after(Duration::seconds(2));
    l.expect({{S, 100, 0}});
}

TEST(Tcb, lost_data_is_retransmitted_from_snd_una) {
    Ladder l = established();
    std::vector<std::byte> data(2000, std::byte{'d'});
    l.tcb.send(l.now, data);
    l.expect({{A, 101, 301, 1460}, {P | A, 1561, 301, 540}});
    l.now += Duration::millis(50);
    l.peer(A, 301, 1561);  // the first arrived, the second was lost
    l.after(Duration::seconds(1));
    l.expect({{P | A, 1561, 301, 540}});
    l.peer(A, 301, 2101);
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
}

TEST(Tcb, rtt_samples_set_the_rto_within_its_bounds) {
    Ladder l{Config::linux()};
    l.tcb.connect(l.now, SeqNum{100});
    l.now += Duration::millis(10);
    l.peer(S | A, 300, 101);
    // RFC 6298 §2.2: SRTT = 10 ms, RTTVAR = 5 ms, RTO = 30 ms, raised to the 200 ms minimum.
    EXPECT_EQ(l.tcb.rto(), Duration::millis(200));
}

TEST(Tcb, the_send_window_limits_what_is_in_flight) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101, 0, 1000);
    l.tcb.take_segments();
    std::vector<std::byte> data(3000, std::byte{'d'});
    l.tcb.send(l.now, data);
    l.expect({{A, 101, 301, 1000}});
    l.peer(A, 301, 1101, 0, 1000);
    l.expect({{A, 1101, 301, 1000}});
}

TEST(Tcb, reset_connection_reports_econnreset_to_reads_and_writes) {
    Ladder l = established();
    l.peer(R, 301, 0);
    std::array<std::byte, 4> buf{};
    EXPECT_EQ(l.tcb.recv(buf).error, Errno::econnreset);
    std::vector<std::byte> data(4, std::byte{0});
    EXPECT_EQ(l.tcb.send(l.now, data).error, Errno::econnreset);
    auto events = l.tcb.take_events();
    EXPECT_NE(std::find(events.begin(), events.end(), AppEvent{AppEvent::Kind::error, Errno::econnreset}), events.end());
}

namespace {
Segment peer_syn_ack(std::uint16_t window, std::optional<std::uint8_t> wscale, std::optional<wire::Timestamps> ts) {
    Segment s;
    s.src = k_tuple.remote.addr;
    s.dst = k_tuple.local.addr;
    s.tcp.src_port = 80;
    s.tcp.dst_port = 40000;
    s.tcp.seq = SeqNum{300};
    s.tcp.ack = SeqNum{101};
    s.tcp.flags = TcpFlags{S | A};
    s.tcp.window = window;
    s.tcp.options.mss = 1460;
    s.tcp.options.window_scale = wscale;
    s.tcp.options.timestamps = ts;
    return s;
}
} // namespace

TEST(Tcb, our_syn_offers_mss_window_scale_and_timestamps) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    auto syn = l.tcb.take_segments();
    ASSERT_EQ(syn.size(), 1u);
    EXPECT_EQ(syn[0].tcp.options.mss, 1460);
    EXPECT_EQ(syn[0].tcp.options.window_scale, 3);  // 256 KiB needs a shift of 3 to fit 16 bits
    ASSERT_TRUE(syn[0].tcp.options.timestamps);
    EXPECT_EQ(syn[0].tcp.options.timestamps->val, 1'000'000u);  // milliseconds of virtual time
    EXPECT_EQ(syn[0].tcp.window, 65535);                     // a SYN's window is never scaled
}

TEST(Tcb, window_scaling_applies_both_ways_once_both_syns_carried_it) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.tcb.on_segment(l.now, peer_syn_ack(65535, 2, std::nullopt));
    auto ack = l.tcb.take_segments();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_TRUE(l.tcb.window_scaling());
    EXPECT_EQ(ack[0].tcp.window, 262144 >> 3);  // our window, scaled by our shift
    l.peer(A, 301, 101, 0, 1000);                // the peer's window: 1000 << 2
    EXPECT_EQ(l.tcb.snd_wnd(), 4000u);
    EXPECT_FALSE(l.tcb.timestamps());
}

TEST(Tcb, without_the_peers_window_scale_neither_side_scales) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.tcb.on_segment(l.now, peer_syn_ack(5000, std::nullopt, std::nullopt));
    auto ack = l.tcb.take_segments();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_FALSE(l.tcb.window_scaling());
    EXPECT_EQ(ack[0].tcp.window, 65535);  // capped, not scaled
    EXPECT_EQ(l.tcb.snd_wnd(), 5000u);
}

TEST(Tcb, timestamps_echo_the_peers_latest_tsval) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    l.now += Duration::millis(20);
    l.tcb.on_segment(l.now, peer_syn_ack(65535, 7, wire::Timestamps{555, 1'000'000}));
    auto ack = l.tcb.take_segments();
    ASSERT_EQ(ack.size(), 1u);
    ASSERT_TRUE(ack[0].tcp.options.timestamps);
    EXPECT_EQ(ack[0].tcp.options.timestamps->val, 1'000'020u);
    EXPECT_EQ(ack[0].tcp.options.timestamps->ecr, 555u);
    EXPECT_TRUE(l.tcb.timestamps());
}

TEST(Tcb, a_syn_ack_offers_only_what_the_syn_offered) {
    Ladder l;
    Segment syn = Ladder::from_peer(S, 300, 0);
    syn.tcp.options.timestamps = wire::Timestamps{77, 0};  // timestamps, no window scale
    l.tcb.accept_syn(l.now, syn, SeqNum{100});
    auto out = l.tcb.take_segments();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].tcp.options.window_scale);
    ASSERT_TRUE(out[0].tcp.options.timestamps);
    EXPECT_EQ(out[0].tcp.options.timestamps->ecr, 77u);
}

TEST(Tcb, delayed_ack_answers_every_second_segment_or_after_the_delay) {
    Config c;
    c.delayed_ack = Duration::millis(40);
    Ladder l = established_with(c);
    l.peer(P | A, 301, 101, 100);
    l.expect_nothing();                                   // the first segment waits
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::millis(40));
    l.peer(P | A, 401, 101, 100);
    l.expect({{A, 101, 501}});                            // the second is ACKed at once
    l.peer(P | A, 501, 101, 100);
    l.expect_nothing();
    l.after(Duration::millis(40));
    l.expect({{A, 101, 601}});                            // the delay ran out
}

TEST(Tcb, a_fin_is_acked_at_once_even_with_delayed_ack) {
    Config c;
    c.delayed_ack = Duration::millis(40);
    Ladder l = established_with(c);
    l.peer(F | P | A, 301, 101, 10);
    l.expect({{A, 101, 312}});
}

TEST(Tcb, nagle_holds_a_small_segment_while_data_is_unacknowledged) {
    Config c;
    c.nagle = true;
    Ladder l = established_with(c);
    std::vector<std::byte> small(100, std::byte{'n'});
    l.tcb.send(l.now, small);
    l.expect({{P | A, 101, 301, 100}});
    l.tcb.send(l.now, small);
    l.tcb.send(l.now, small);
    l.expect_nothing();                                   // held: 100 bytes are in flight
    l.peer(A, 301, 201);
    l.expect({{P | A, 201, 301, 200}});                   // both, coalesced, once acknowledged
}

TEST(Tcb, three_duplicate_acks_resend_the_missing_segment_at_once) {
    Ladder l = established();
    std::vector<std::byte> data(4 * 1460, std::byte{'d'});
    l.tcb.send(l.now, data);
    l.tcb.take_segments();
    l.peer(A, 301, 101);
    l.peer(A, 301, 101);
    l.expect_nothing();
    l.peer(A, 301, 101);                                  // the third duplicate
    // The hole again, then (RFC 5681 §3.2 step 5) the fourth segment: the
    // window, halved to 2920 and inflated by three segments, has room.
    l.expect({{A, 101, 301, 1460}, {P | A, 4481, 301, 1460}});
    EXPECT_EQ(l.tcb.cwnd(), 2920u + 3 * 1460);
    EXPECT_EQ(l.tcb.rto(), Duration::seconds(1));         // no backoff: the timer did not fire
}

TEST(Tcb, a_zero_window_is_probed_when_the_persist_timer_fires) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101, 0, 0);                        // the peer opens with a zero window
    l.tcb.take_segments();
    std::vector<std::byte> data(100, std::byte{'z'});
    EXPECT_EQ(l.tcb.send(l.now, data).bytes, 100u);
    l.expect_nothing();
    EXPECT_EQ(l.tcb.next_deadline(), l.now + Duration::seconds(1));
    l.after(Duration::seconds(1));
    l.expect({{A, 101, 301, 1}});                         // one byte beyond the window
    l.peer(A, 301, 102, 0, 1000);                         // it got in, and the window opened
    l.expect({{P | A, 102, 301, 99}});
}

TEST(Tcb, segments_ahead_of_a_gap_are_kept_and_delivered_when_it_fills) {
    Ladder l = established();
    l.peer(P | A, 401, 101, 100);   // the second segment overtakes the first
    l.expect({{A, 101, 301}});      // a duplicate ACK: something is missing at 301
    l.peer(P | A, 501, 101, 100);
    l.expect({{A, 101, 301}});
    l.peer(P | A, 301, 101, 100);   // the gap fills
    l.expect({{A, 101, 601}});      // everything up to 601, ACKed at once
    std::array<std::byte, 1000> buf{};
    EXPECT_EQ(l.tcb.recv(buf).bytes, 300u);
}

TEST(Tcb, a_fin_that_overtakes_the_last_data_closes_once_the_data_arrives) {
    Ladder l = established();
    l.peer(F | A, 401, 101);        // FIN after 100 bytes we have not seen
    l.expect({{A, 101, 301}});
    EXPECT_EQ(l.tcb.state(), TcpState::established);
    l.peer(P | A, 301, 101, 100);
    l.expect({{A, 101, 402}});      // the data and the FIN
    EXPECT_EQ(l.tcb.state(), TcpState::close_wait);
}

TEST(Tcb, slow_start_sends_the_initial_window_and_grows_with_each_ack) {
    Ladder l = established();
    EXPECT_EQ(l.tcb.cwnd(), 4380u);  // RFC 5681 §3.1 for an MSS of 1460: three segments
    std::vector<std::byte> data(10 * 1460, std::byte{'d'});
    l.tcb.send(l.now, data);
    l.expect({{A, 101, 301, 1460}, {A, 1561, 301, 1460}, {A, 3021, 301, 1460}});
    l.peer(A, 301, 1561);  // one segment acknowledged: cwnd grows by one MSS, two more may go
    l.expect({{A, 4481, 301, 1460}, {A, 5941, 301, 1460}});
    EXPECT_EQ(l.tcb.cwnd(), 4380u + 1460u);
}

TEST(Tcb, a_timeout_collapses_the_congestion_window_to_one_segment) {
    Ladder l = established();
    std::vector<std::byte> data(6 * 1460, std::byte{'d'});
    l.tcb.send(l.now, data);
    l.tcb.take_segments();
    l.after(Duration::seconds(1));
    l.expect({{A, 101, 301, 1460}});
    EXPECT_EQ(l.tcb.cwnd(), 1460u);
}

TEST(Tcb, the_linux_profile_starts_with_ten_segments) {
    Ladder l{Config::linux()};
    l.tcb.connect(l.now, SeqNum{100});
    l.peer(S | A, 300, 101);
    EXPECT_EQ(l.tcb.cwnd(), 14600u);
}

TEST(Tcb, an_unanswered_syn_gives_up_after_syn_retries_with_etimedout) {
    Ladder l;
    l.tcb.connect(l.now, SeqNum{100});
    l.tcb.take_segments();
    int retransmitted = 0;
    while (l.tcb.state() == TcpState::syn_sent) {
        l.after(l.tcb.next_deadline() - l.now);
        retransmitted += static_cast<int>(l.tcb.take_segments().size());
    }
    EXPECT_EQ(retransmitted, 6);  // then the seventh expiry gives up
    EXPECT_EQ(l.tcb.error(), Errno::etimedout);
    auto changes = l.changes();
    EXPECT_EQ(changes.back(), (std::pair{TcpState::closed, Cause::retransmit_limit}));
    // RFC 6298 backoff, doubling from 1 s and capped at the 60 s maximum: 1+2+4+8+16+32+60 s.
    EXPECT_EQ(l.now, Instant::from_seconds(1000 + 123));
}

TEST(Tcb, an_orphans_fin_the_peer_never_acknowledges_gives_up_after_orphan_retries) {
    Config c;
    c.data_retries = 15;
    c.orphan_retries = 3;
    Ladder l = established_with(c);
    l.tcb.close(l.now);
    l.expect({{F | A, 101, 301}});
    while (l.tcb.state() == TcpState::fin_wait_1) l.after(l.tcb.next_deadline() - l.now);
    EXPECT_EQ(l.tcb.state(), TcpState::closed);
    EXPECT_EQ(l.tcb.take_segments().size(), 3u);  // three retransmissions of the FIN
    EXPECT_EQ(l.changes().back(), (std::pair{TcpState::closed, Cause::retransmit_limit}));
    EXPECT_EQ(l.tcb.next_deadline(), Instant::never());
}

TEST(Tcb, a_fin_sent_by_shutdown_is_retried_up_to_data_retries_not_orphan_retries) {
    Config c;
    c.data_retries = 4;
    c.orphan_retries = 1;
    Ladder l = established_with(c);
    l.tcb.shutdown_write(l.now);
    l.expect({{F | A, 101, 301}});
    while (l.tcb.state() == TcpState::fin_wait_1) l.after(l.tcb.next_deadline() - l.now);
    EXPECT_EQ(l.tcb.take_segments().size(), 4u);  // the application still holds it: R2 applies
    EXPECT_EQ(l.tcb.error(), Errno::etimedout);
}

TEST(Tcb, the_application_hears_of_trouble_at_r1_and_the_connection_goes_on_to_r2) {
    Config c;
    c.retries1 = 2;
    c.data_retries = 4;
    Ladder l = established_with(c);
    l.tcb.shutdown_write(l.now);
    l.tcb.take_segments();
    l.tcb.take_events();
    int fired = 0;
    std::size_t advice_at = 0;
    while (l.tcb.state() == TcpState::fin_wait_1) {
        l.after(l.tcb.next_deadline() - l.now);
        ++fired;
        for (const auto& e : l.tcb.take_events())
            if (e.kind == AppEvent::Kind::delivery_problem) advice_at = static_cast<std::size_t>(fired);
    }
    EXPECT_EQ(advice_at, 2u);  // on the second retransmission, once
    EXPECT_EQ(l.tcb.error(), Errno::etimedout);
}

// Linux's interactive mode (Config::delay_fin_ack): the ACK of a FIN waits
// the delayed-ACK time, and a close() within it rides on it: FIN+ACK, the
// 3-way close.
TEST(Tcb, with_delay_fin_ack_a_close_right_after_the_peers_fin_sends_one_fin_ack) {
    Config c;
    c.delayed_ack = Duration::millis(40);
    c.delay_fin_ack = true;
    Ladder l = established_with(c);
    l.peer(F | A, 301, 101);
    EXPECT_TRUE(l.tcb.take_segments().empty());  // the ACK waits
    EXPECT_EQ(l.tcb.state(), TcpState::close_wait);
    l.after(Duration::millis(5));
    l.tcb.close(l.now);
    l.expect({{F | A, 101, 302}});
    EXPECT_EQ(l.tcb.state(), TcpState::last_ack);
}

TEST(Tcb, with_delay_fin_ack_the_fin_is_acknowledged_when_the_delay_runs_out) {
    Config c;
    c.delayed_ack = Duration::millis(40);
    c.delay_fin_ack = true;
    Ladder l = established_with(c);
    l.peer(F | A, 301, 101);
    EXPECT_TRUE(l.tcb.take_segments().empty());
    l.after(Duration::millis(40));
    l.expect({{A, 101, 302}});
}
