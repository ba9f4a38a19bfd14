// Two Stacks wired back to back in memory: a client host and a server host.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "engine/stack.hpp"

using namespace teardown;
using namespace teardown::engine;
using wire::TcpFlags;

namespace {

const wire::IpAddress k_client_ip = *wire::IpAddress::parse("192.0.2.1");
const wire::IpAddress k_server_ip = *wire::IpAddress::parse("192.0.2.2");
const wire::Endpoint k_server{k_server_ip, 80};

std::span<const std::byte> text(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

struct Hosts {
    Stack client;
    Stack server;
    Instant now{Instant::from_seconds(100)};
    std::vector<Segment> seen;  // every segment that crossed, in order

    // Delivers segments both ways until nothing is in flight.
    void exchange() {
        for (int rounds = 0; rounds < 1000; ++rounds) {
            auto a = client.take_segments();
            auto b = server.take_segments();
            if (a.empty() && b.empty()) return;
            for (auto& s : a) {
                seen.push_back(s);
                server.on_segment(now, s);
            }
            for (auto& s : b) {
                seen.push_back(s);
                client.on_segment(now, s);
            }
        }
        FAIL() << "the hosts never went quiet";
    }
    // Runs timers until neither host has a deadline left before `until`.
    void run_until(Instant until) {
        for (;;) {
            const Instant next = std::min(client.next_deadline(), server.next_deadline());
            if (next > until) break;
            now = next;
            client.on_timer(now);
            server.on_timer(now);
            exchange();
        }
        now = until;
    }
};

std::string read_all(Stack& s, int fd) {
    std::string out;
    std::array<std::byte, 4096> buf{};
    for (;;) {
        Io r = s.recv(fd, buf);
        if (!r.ok() || r.bytes == 0) break;
        for (std::size_t i = 0; i < r.bytes; ++i) out.push_back(static_cast<char>(buf[i]));
    }
    return out;
}

std::vector<std::pair<TcpState, Cause>> changes_of(Stack& s) {
    std::vector<std::pair<TcpState, Cause>> out;
    for (const auto& c : s.take_changes()) out.emplace_back(c.change.to, c.change.cause);
    return out;
}

} // namespace

TEST(Stack, a_whole_lifecycle_open_request_response_four_way_close_time_wait) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    ASSERT_TRUE(l.ok());
    auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
    ASSERT_TRUE(c.ok());
    h.exchange();
    auto s = h.server.accept(l.fd);
    ASSERT_TRUE(s.ok());
    const wire::FourTuple server_tuple = *h.server.tuple(s.fd);
    EXPECT_EQ(h.client.state(c.fd), TcpState::established);

    h.client.send(h.now, c.fd, text("GET / HTTP/1.0\r\n\r\n"));
    h.exchange();
    EXPECT_EQ(read_all(h.server, s.fd), "GET / HTTP/1.0\r\n\r\n");
    h.server.send(h.now, s.fd, text("HTTP/1.0 200 OK\r\n\r\nhello"));
    h.server.close(h.now, s.fd);  // the server closes first
    h.exchange();
    EXPECT_EQ(read_all(h.client, c.fd), "HTTP/1.0 200 OK\r\n\r\nhello");
    EXPECT_EQ(h.client.state(c.fd), TcpState::close_wait);
    h.client.close(h.now, c.fd);
    h.exchange();

    EXPECT_EQ(h.client.connections(), 0u);  // LAST-ACK ended on the server's ACK
    // The server holds TIME-WAIT in its table, the endpoint already freed.
    EXPECT_EQ(h.server.connections(), 0u);
    EXPECT_EQ(h.server.time_wait_entries(), 1u);
    EXPECT_EQ(h.server.state_of(server_tuple), TcpState::time_wait);
    h.run_until(h.now + Duration::seconds(241));
    EXPECT_EQ(h.server.time_wait_entries(), 0u);
    EXPECT_EQ(h.server.state_of(server_tuple), std::nullopt);
    EXPECT_EQ(h.server.counter(Counter::time_waited), 1u);
    auto server_changes = changes_of(h.server);
    EXPECT_EQ(server_changes.back(), (std::pair{TcpState::closed, Cause::timer_2msl}));
    EXPECT_EQ(h.server.next_deadline(), Instant::never());
}

TEST(Stack, a_syn_for_no_listener_is_refused_with_rst_ack_at_sequence_zero) {
    Hosts h;
    auto c = h.client.connect(h.now, {k_client_ip, 40000}, k_server);
    auto syn = h.client.take_segments();
    ASSERT_EQ(syn.size(), 1u);
    h.server.on_segment(h.now, syn[0]);
    auto rst = h.server.take_segments();
    ASSERT_EQ(rst.size(), 1u);
    EXPECT_EQ(rst[0].tcp.flags, TcpFlags{TcpFlags::rst | TcpFlags::ack});
    EXPECT_EQ(rst[0].tcp.seq, SeqNum{0});
    EXPECT_EQ(rst[0].tcp.ack, syn[0].tcp.seq + 1u);
    h.client.on_segment(h.now, rst[0]);
    EXPECT_EQ(h.client.socket_error(c.fd), Errno::econnrefused);
    EXPECT_EQ(h.client.state(c.fd), TcpState::closed);
    EXPECT_EQ(h.server.counter(Counter::out_rsts), 1u);
}

TEST(Stack, an_ack_for_no_connection_gets_rst_at_its_ack_number_and_a_rst_gets_nothing) {
    Stack s;
    Segment ack;
    ack.src = k_client_ip;
    ack.dst = k_server_ip;
    ack.tcp.src_port = 40000;
    ack.tcp.dst_port = 80;
    ack.tcp.seq = SeqNum{5};
    ack.tcp.ack = SeqNum{777};
    ack.tcp.flags = TcpFlags{TcpFlags::ack};
    s.on_segment(Instant{}, ack);
    auto out = s.take_segments();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].tcp.flags, TcpFlags{TcpFlags::rst});
    EXPECT_EQ(out[0].tcp.seq, SeqNum{777});
    ack.tcp.flags = TcpFlags{TcpFlags::rst};
    s.on_segment(Instant{}, ack);
    EXPECT_TRUE(s.take_segments().empty());
}

Config without_syn_cookies() {
    Config c = Config::rfc();
    c.syn_cookies = false;
    return c;
}

TEST(Stack, without_syn_cookies_a_full_syn_queue_gives_way_to_the_newest_request_and_counts_it) {
    Hosts h{Stack{}, Stack{without_syn_cookies()}, Instant::from_seconds(100), {}};
    auto l = h.server.listen(h.now, k_server, 1);
    h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    EXPECT_EQ(h.server.counter(Counter::req_q_full_drop), 1u);
    EXPECT_TRUE(h.server.accept(l.fd).ok());
    EXPECT_EQ(h.server.accept(l.fd).error, Errno::eagain);
}

TEST(Stack, a_full_accept_queue_drops_syns_and_counts_them) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 1);
    h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    EXPECT_EQ(h.server.counter(Counter::listen_overflows), 1u);
    EXPECT_EQ(h.server.counter(Counter::listen_drops), 1u);
    EXPECT_TRUE(h.server.accept(l.fd).ok());
    EXPECT_EQ(h.server.accept(l.fd).error, Errno::eagain);
}

TEST(Stack, ephemeral_ports_are_distinct_and_in_range) {
    Stack s;
    std::set<std::uint16_t> ports;
    for (int i = 0; i < 100; ++i) {
        auto c = s.connect(Instant{}, {k_client_ip, 0}, k_server);
        ASSERT_TRUE(c.ok());
        const auto p = s.tuple(c.fd)->local.port;
        EXPECT_GE(p, 32768);
        EXPECT_LE(p, 60999);
        ports.insert(p);
    }
    EXPECT_EQ(ports.size(), 100u);
}

TEST(Stack, the_same_four_tuple_is_busy_during_time_wait_and_free_after_it) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    const wire::Endpoint from{k_client_ip, 45000};
    auto c = h.client.connect(h.now, from, k_server);
    h.exchange();
    auto s = h.server.accept(l.fd);
    h.client.close(h.now, c.fd);  // the client closes first and will hold TIME-WAIT
    h.exchange();
    h.server.close(h.now, s.fd);
    h.exchange();
    EXPECT_EQ(h.client.time_wait_entries(), 1u);
    EXPECT_EQ(h.client.connect(h.now, from, k_server).error, Errno::eaddrinuse);
    h.run_until(h.now + Duration::seconds(241));
    EXPECT_EQ(h.client.time_wait_entries(), 0u);
    auto again = h.client.connect(h.now, from, k_server);
    ASSERT_TRUE(again.ok());
    h.exchange();
    EXPECT_EQ(h.client.state(again.fd), TcpState::established);
}

TEST(Stack, closing_a_listener_resets_connections_nobody_accepted) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    h.server.close(h.now, l.fd);
    h.exchange();
    EXPECT_EQ(h.client.socket_error(c.fd), Errno::econnreset);
    EXPECT_EQ(h.server.connections(), 0u);
}

TEST(Stack, linger_zero_close_resets_and_frees_at_once) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    auto s = h.server.accept(l.fd);
    h.client.set_linger(c.fd, true, 0);
    h.client.close(h.now, c.fd);
    h.exchange();
    EXPECT_EQ(h.client.connections(), 0u);
    EXPECT_EQ(h.server.state(s.fd), TcpState::closed);
    EXPECT_EQ(h.server.socket_error(s.fd), Errno::econnreset);
    EXPECT_TRUE(std::any_of(h.seen.begin(), h.seen.end(), [](const Segment& x) { return x.tcp.flags.rst_set(); }));
}

TEST(Stack, an_orphan_whose_peer_vanished_is_freed_when_its_fin_gives_up) {
    Config c;
    c.data_retries = 2;
    Stack client{c};
    Stack server;
    Instant now = Instant::from_seconds(1);
    auto l = server.listen(now, k_server, 4);
    auto fd = client.connect(now, {k_client_ip, 0}, k_server);
    for (int i = 0; i < 3; ++i) {
        for (auto& s : client.take_segments()) server.on_segment(now, s);
        for (auto& s : server.take_segments()) client.on_segment(now, s);
    }
    ASSERT_TRUE(server.accept(l.fd).ok());
    client.close(now, fd.fd);
    client.take_segments();  // the FIN and every retransmission of it are lost: the server vanished
    while (client.next_deadline() != Instant::never()) {
        now = client.next_deadline();
        client.on_timer(now);
        client.take_segments();
    }
    EXPECT_EQ(client.connections(), 0u);
    auto changes = client.take_changes();
    EXPECT_EQ(changes.back().change.cause, Cause::retransmit_limit);
}

// Descriptors come back lowest first, as a process's do; a recycled slot
// starts a clean connection (nothing of the last one's data or state).
TEST(Stack, closed_descriptors_and_slots_are_reused_cleanly) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    EXPECT_EQ(l.fd, 3);
    std::set<std::uint16_t> ports;
    for (int round = 0; round < 3; ++round) {
        auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
        EXPECT_EQ(c.fd, 3);
        h.exchange();
        auto s = h.server.accept(l.fd);
        EXPECT_EQ(s.fd, 4);
        ports.insert(h.client.tuple(c.fd)->local.port);
        h.client.send(h.now, c.fd, text("round " + std::to_string(round)));
        h.exchange();
        EXPECT_EQ(read_all(h.server, s.fd), "round " + std::to_string(round));
        h.client.abort(h.now, c.fd);
        h.exchange();
        EXPECT_EQ(h.server.state(s.fd), TcpState::closed);
        EXPECT_EQ(h.server.socket_error(s.fd), Errno::econnreset);
        h.server.close(h.now, s.fd);
        h.client.close(h.now, c.fd);
        EXPECT_EQ(h.client.connections(), 0u);
        EXPECT_EQ(h.server.connections(), 0u);
    }
    EXPECT_EQ(ports.size(), 3u);  // each a new ephemeral port
    EXPECT_EQ(h.client.state(3), std::nullopt);
}

namespace {

// A SYN from an address nobody answers for: what a flood is made of.
Segment forged_syn(std::uint32_t n) {
    Segment s;
    const std::array<std::uint8_t, 4> a{203, 0, 113, static_cast<std::uint8_t>(n & 0xFF)};
    s.src = wire::IpAddress::v4(reinterpret_cast<const std::byte*>(a.data()));
    s.dst = k_server_ip;
    s.tcp.src_port = static_cast<std::uint16_t>(1024 + (n >> 8) % 60000);
    s.tcp.dst_port = k_server.port;
    s.tcp.seq = SeqNum{n * 7919u};
    s.tcp.flags = TcpFlags{TcpFlags::syn};
    s.tcp.window = 65535;
    s.tcp.options.mss = 1460;
    return s;
}

// Opens a connection through `h`, closes it from the side `first`, and
// returns the client's 4-tuple.
wire::FourTuple open_and_close(Hosts& h, int listener, bool client_first, wire::Endpoint from = {k_client_ip, 0}) {
    auto c = h.client.connect(h.now, from, k_server);
    h.exchange();
    auto s = h.server.accept(listener);
    const wire::FourTuple tuple = *h.client.tuple(c.fd);
    (client_first ? h.client : h.server).close(h.now, client_first ? c.fd : s.fd);
    h.exchange();
    (client_first ? h.server : h.client).close(h.now, client_first ? s.fd : c.fd);
    h.exchange();
    return tuple;
}

} // namespace

TEST(Stack, without_syn_cookies_a_syn_flood_holds_no_more_than_the_backlog_and_an_established_connection_keeps_working) {
    Hosts h{Stack{}, Stack{without_syn_cookies()}, Instant::from_seconds(100), {}};
    auto l = h.server.listen(h.now, k_server, 8);
    auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    auto s = h.server.accept(l.fd);
    ASSERT_TRUE(s.ok());
    std::size_t most = 0;
    for (std::uint32_t n = 0; n < 20000; ++n) {
        h.server.on_segment(h.now, forged_syn(n));
        (void)h.server.take_segments();  // the SYN-ACKs go to addresses that never answer
        most = std::max(most, h.server.connections());
        if (n % 1000 == 999) {
            h.client.send(h.now, c.fd, text("still here"));
            h.exchange();
            EXPECT_EQ(read_all(h.server, s.fd), "still here");
            h.now += Duration::millis(10);
        }
    }
    EXPECT_LE(most, 8u + 1u);  // the backlog's half-open requests and the real connection
    EXPECT_EQ(h.server.counter(Counter::req_q_full_drop), 20000u - 8u);
    EXPECT_EQ(h.server.counter(Counter::passive_opens), 20001u);
    // The last half-open requests give up on their own: only the real connection is left.
    h.run_until(h.now + Duration::seconds(300));
    EXPECT_EQ(h.server.connections(), 1u);
    EXPECT_EQ(h.server.state(s.fd), TcpState::established);
}

TEST(Stack, a_full_time_wait_table_lets_its_oldest_entry_go_for_the_newest) {
    Config c = Config::rfc();
    c.max_time_wait = 2;
    c.time_wait_overflow = Config::TimeWaitOverflow::evict_oldest;
    Hosts h{Stack{c}, Stack{}, Instant::from_seconds(100), {}};
    auto l = h.server.listen(h.now, k_server, 16);
    std::vector<wire::FourTuple> tuples;
    for (int i = 0; i < 3; ++i) {
        tuples.push_back(open_and_close(h, l.fd, true));
        h.now += Duration::seconds(1);
    }
    EXPECT_EQ(h.client.time_wait_entries(), 2u);
    EXPECT_EQ(h.client.counter(Counter::time_wait_overflow), 1u);
    EXPECT_EQ(h.client.state_of(tuples[0]), std::nullopt);
    EXPECT_EQ(h.client.state_of(tuples[1]), TcpState::time_wait);
    EXPECT_EQ(h.client.state_of(tuples[2]), TcpState::time_wait);
    const auto changes = h.client.take_changes();
    const auto first_left = std::find_if(changes.begin(), changes.end(), [&](const ConnectionChange& ch) {
        return ch.tuple == tuples[0] && ch.change.from == TcpState::time_wait;
    });
    ASSERT_NE(first_left, changes.end());
    EXPECT_EQ(first_left->change.to, TcpState::closed);
}

TEST(Stack, a_full_time_wait_table_under_the_linux_policy_skips_time_wait_for_the_newest) {
    Config c = Config::rfc();
    c.max_time_wait = 1;
    c.time_wait_overflow = Config::TimeWaitOverflow::skip_time_wait;
    Hosts h{Stack{c}, Stack{}, Instant::from_seconds(100), {}};
    auto l = h.server.listen(h.now, k_server, 16);
    const auto first = open_and_close(h, l.fd, true);
    const auto second = open_and_close(h, l.fd, true);
    EXPECT_EQ(h.client.time_wait_entries(), 1u);
    EXPECT_EQ(h.client.state_of(first), TcpState::time_wait);
    EXPECT_EQ(h.client.state_of(second), std::nullopt);
    EXPECT_EQ(h.client.counter(Counter::time_wait_overflow), 1u);
}

// RFC 6191 §2 and RFC 9293 §3.10.7.4: the SYN that reuses a TIME-WAIT
// 4-tuple gets a SYN-ACK whose ISS lies above all the old incarnation sent,
// so no segment of the old one can pass for the new one's.
TEST(Stack, a_new_incarnation_from_time_wait_starts_above_the_old_sequence_space) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 16);
    const wire::Endpoint from{k_client_ip, 45000};
    open_and_close(h, l.fd, false, from);  // the server closes first and holds TIME-WAIT
    ASSERT_EQ(h.server.time_wait_entries(), 1u);
    SeqNum old_snd_nxt{0};
    for (const auto& seg : h.seen)
        if (seg.tcp.src_port == 80 && seg.tcp.flags.fin_set()) old_snd_nxt = seg.tcp.seq + 1u;
    h.seen.clear();
    h.now += Duration::seconds(10);  // the client's clock-driven ISN has moved past RCV.NXT
    auto again = h.client.connect(h.now, from, k_server);
    ASSERT_TRUE(again.ok());
    h.exchange();
    ASSERT_GE(h.seen.size(), 2u);
    ASSERT_TRUE(h.seen[1].tcp.flags.syn_set() && h.seen[1].tcp.flags.ack_set());
    EXPECT_GT(h.seen[1].tcp.seq, old_snd_nxt);
    EXPECT_EQ(h.client.state(again.fd), TcpState::established);
    EXPECT_EQ(h.server.time_wait_entries(), 0u);
    EXPECT_EQ(h.server.counter(Counter::tw_recycled), 1u);
    const auto changes = h.server.take_changes();
    EXPECT_TRUE(std::any_of(changes.begin(), changes.end(), [](const ConnectionChange& ch) {
        return ch.change.from == TcpState::time_wait && ch.change.cause == Cause::syn_reuse_time_wait;
    }));
}

// Whatever way a connection is given up, nothing of it is left behind:
// no endpoint, no timer, no deadline.
TEST(Stack, every_give_up_frees_the_endpoint_and_its_timers) {
    struct Way {
        const char* name;
        void (*configure)(Config&);
        bool orphan;
        bool write_first;
    };
    const Way ways[] = {
        {"retransmission limit", [](Config& c) { c.data_retries = 3; }, false, true},
        {"user timeout", [](Config& c) { c.user_timeout = Duration::seconds(5); }, false, true},
        {"keep-alive", [](Config& c) {
             c.keepalive = true;
             c.keep_idle = Duration::seconds(10);
         }, false, false},
        {"orphan retries", [](Config& c) { c.orphan_retries = 2; }, true, false},
    };
    for (const Way& way : ways) {
        SCOPED_TRACE(way.name);
        Config c = Config::rfc();
        way.configure(c);
        Hosts h{Stack{c}, Stack{}, Instant::from_seconds(100), {}};
        auto l = h.server.listen(h.now, k_server, 16);
        auto fd = h.client.connect(h.now, {k_client_ip, 0}, k_server).fd;
        h.exchange();
        ASSERT_TRUE(h.server.accept(l.fd).ok());
        if (way.write_first) h.client.send(h.now, fd, text("into the void"));
        if (way.orphan) h.client.close(h.now, fd);
        // The server vanishes: nothing the client sends arrives any more.
        while (!h.client.next_deadline().is_never()) {
            h.now = h.client.next_deadline();
            h.client.on_timer(h.now);
            (void)h.client.take_segments();
        }
        if (!way.orphan) {
            EXPECT_EQ(h.client.socket_error(fd), Errno::etimedout);
            h.client.close(h.now, fd);
        }
        EXPECT_EQ(h.client.connections(), 0u);
        EXPECT_EQ(h.client.timers(), 0u);
        EXPECT_EQ(h.client.time_wait_entries(), 0u);
        EXPECT_EQ(h.client.counter(Counter::abort_on_timeout), 1u);
    }
}

// RFC 4987 §3.6: with the SYN queue full of forged requests, a real
// client's SYN is answered with a cookie and its ACK makes the connection,
// while the flood holds no state beyond the backlog.
TEST(Stack, under_a_syn_flood_syn_cookies_let_a_real_client_in_and_keep_no_state) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 8);
    for (std::uint32_t n = 0; n < 20000; ++n) {
        h.server.on_segment(h.now, forged_syn(n));
        (void)h.server.take_segments();
        EXPECT_LE(h.server.connections(), 8u);
    }
    EXPECT_EQ(h.server.counter(Counter::syncookies_sent), 20000u - 8u);
    auto c = h.client.connect(h.now, {k_client_ip, 0}, k_server);
    h.exchange();
    EXPECT_EQ(h.client.state(c.fd), TcpState::established);
    const Segment& syn_ack = h.seen.at(1);
    ASSERT_TRUE(syn_ack.tcp.flags.syn_set() && syn_ack.tcp.flags.ack_set());
    // The cookie's SYN-ACK offers the MSS and nothing it could not keep.
    EXPECT_EQ(syn_ack.tcp.options.mss, std::optional<std::uint16_t>{1460});
    EXPECT_FALSE(syn_ack.tcp.options.window_scale);
    EXPECT_FALSE(syn_ack.tcp.options.timestamps);
    EXPECT_FALSE(syn_ack.tcp.options.sack_permitted);
    EXPECT_EQ(h.server.counter(Counter::syncookies_recv), 1u);
    auto s = h.server.accept(l.fd);
    ASSERT_TRUE(s.ok());
    h.client.send(h.now, c.fd, text("made by a cookie"));
    h.exchange();
    EXPECT_EQ(read_all(h.server, s.fd), "made by a cookie");
    // And it closes like any other.
    h.client.close(h.now, c.fd);
    h.exchange();
    h.server.close(h.now, s.fd);
    h.exchange();
    EXPECT_EQ(h.client.time_wait_entries(), 1u);
    EXPECT_EQ(h.server.connections(), 8u);  // only the forged requests, until they give up
}

TEST(Stack, an_ack_with_a_forged_cookie_makes_nothing_and_gets_a_rst) {
    Hosts h;
    auto l = h.server.listen(h.now, k_server, 1);
    h.server.on_segment(h.now, forged_syn(1));
    h.server.on_segment(h.now, forged_syn(2));  // the queue is full: a cookie
    (void)h.server.take_segments();
    ASSERT_EQ(h.server.counter(Counter::syncookies_sent), 1u);
    Segment ack = forged_syn(3);
    ack.tcp.flags = TcpFlags{TcpFlags::ack};
    ack.tcp.ack = SeqNum{0x12345678};
    h.server.on_segment(h.now, ack);
    EXPECT_EQ(h.server.counter(Counter::syncookies_failed), 1u);
    EXPECT_EQ(h.server.connections(), 1u);
    const auto out = h.server.take_segments();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].tcp.flags.rst_set());
    EXPECT_EQ(out[0].tcp.seq, SeqNum{0x12345678});
    EXPECT_EQ(h.server.accept(l.fd).error, Errno::eagain);
}
