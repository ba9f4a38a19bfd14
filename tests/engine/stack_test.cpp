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

TEST(Stack, a_full_syn_queue_gives_way_to_the_newest_request_and_counts_it) {
    Hosts h;
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
