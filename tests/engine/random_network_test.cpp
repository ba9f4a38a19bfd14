// Thousands of connections between two Stacks over a network that loses,
// duplicates and reorders segments, each connection ending its own way
// (either side closing first, half-close, abort, close with unread data).
// When both hosts have nothing left to do, every endpoint must be CLOSED
// with nothing left behind (no endpoint, TIME-WAIT entry or timer), and
// every byte the receiver acknowledged must have reached its application,
// in order and unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <queue>
#include <random>
#include <unordered_map>
#include <vector>

#include "engine/stack.hpp"

using namespace teardown;
using namespace teardown::engine;

namespace {

const wire::IpAddress k_client_ip = *wire::IpAddress::parse("192.0.2.1");
const wire::IpAddress k_server_ip = *wire::IpAddress::parse("192.0.2.2");
const wire::Endpoint k_server{k_server_ip, 80};

// How a connection ends, as its two applications play it.
enum class Ending : std::uint8_t {
    server_closes_first,   // request, response, the server's FIN first
    client_half_closes,    // request, shutdown(SHUT_WR), the server answers after the FIN
    client_closes_first,   // the client closes once it has the whole response
    client_aborts,         // the client resets part-way through its request
    server_aborts,         // the server closes with SO_LINGER {1, 0} after the request
    client_leaves_unread,  // the client closes without reading: RST for unread data
};
constexpr int k_endings = 6;

std::byte payload_byte(std::size_t conn, int direction, std::size_t offset) {
    return static_cast<std::byte>((conn * 131 + offset * 7 + static_cast<std::size_t>(direction) * 59) & 0xFF);
}

struct Plan {
    Ending ending{};
    std::size_t request{0};
    std::size_t response{0};
    Instant start{};
};

// One direction of one connection as its two applications saw it.
struct Stream {
    std::size_t written{0};
    std::size_t read{0};
    bool corrupt{false};     // a byte read differs from the byte written there
    bool eof{false};
    std::optional<SeqNum> isn;  // the sender's, from its SYN on the wire
    std::uint32_t acked{0};     // data bytes the receiver acknowledged, ACKs that arrived
};

struct App {
    int fd{-1};
    bool closed{false};
    bool error{false};
    bool shut{false};
    bool readable_seen{false};
};

struct Connection {
    Plan plan;
    App client;
    App server;
    Stream up;    // client to server
    Stream down;  // server to client
    std::optional<std::uint16_t> port;
};

struct InFlight {
    Instant at;
    std::uint64_t order;
    bool to_server;
    Segment segment;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
};

class Network {
public:
    Network(std::uint64_t seed, Config config, std::size_t count)
        : rng_{seed}, client_{client_config(config)}, server_{config}, conns_(count) {
        std::uniform_int_distribution<int> ending(0, k_endings - 1);
        std::uniform_int_distribution<std::size_t> size(0, 40000);
        std::uniform_int_distribution<std::int64_t> start_ms(0, 20'000);
        for (auto& c : conns_) {
            c.plan.ending = static_cast<Ending>(ending(rng_));
            c.plan.request = size(rng_);
            c.plan.response = size(rng_);
            c.plan.start = Instant::from_seconds(10) + Duration::millis(start_ms(rng_));
        }
        for (std::size_t i = 0; i < conns_.size(); ++i) starts_.push({conns_[i].plan.start, i});
    }

    void run() {
        listener_ = server_.listen(now_, k_server, 65535, with_keepalive(server_.config())).fd;
        for (std::uint64_t steps = 0;; ++steps) {
            ASSERT_LT(steps, 50'000'000u) << "the network never went quiet";
            Instant next = std::min(client_.next_deadline(), server_.next_deadline());
            if (!in_flight_.empty()) next = std::min(next, in_flight_.top().at);
            if (!starts_.empty()) next = std::min(next, starts_.top().first);
            if (next.is_never()) return;
            now_ = next;
            while (!starts_.empty() && starts_.top().first <= now_) {
                open(starts_.top().second);
                starts_.pop();
            }
            while (!in_flight_.empty() && in_flight_.top().at <= now_) {
                InFlight f = in_flight_.top();
                in_flight_.pop();
                observe_arrival(f);
                (f.to_server ? server_ : client_).on_segment(now_, f.segment);
                settle();
            }
            client_.on_timer(now_);
            server_.on_timer(now_);
            settle();
        }
    }

    Stack& client() { return client_; }
    Stack& server() { return server_; }
    const std::vector<Connection>& connections() const { return conns_; }
    std::uint64_t lost() const { return lost_; }
    std::uint64_t duplicated() const { return duplicated_; }
    std::uint64_t carried() const { return carried_; }
    const std::map<std::uint16_t, TcpState>& last_client_state() const { return client_state_; }
    const std::map<std::uint16_t, TcpState>& last_server_state() const { return server_state_; }

private:
    // Keep-alive on both sides, so that an application waiting on a peer
    // that has gone (its RST lost) finds out (RFC 1122 §4.2.3.6).
    static Config client_config(Config c) { return with_keepalive(c); }
    static Config with_keepalive(Config c) {
        c.keepalive = true;
        c.keep_idle = Duration::seconds(30);
        c.keep_interval = Duration::seconds(5);
        c.keep_count = 3;
        return c;
    }

    void open(std::size_t i) {
        Connection& c = conns_[i];
        const Opened o = client_.connect(now_, {k_client_ip, 0}, k_server, with_keepalive(client_.config()));
        ASSERT_TRUE(o.ok());
        c.client.fd = o.fd;
        c.port = client_.tuple(o.fd)->local.port;
        by_port_[*c.port] = i;
        by_client_fd_[o.fd] = i;
        settle();
    }

    // Carries what the hosts sent into the network, then lets both
    // applications act on what they learnt, until neither has more to say.
    void settle() {
        for (int round = 0; round < 1000; ++round) {
            const bool from_client = carry(client_, true);
            const bool from_server = carry(server_, false);
            bool any = from_client || from_server;
            accept_all();
            client_.take_events(events_);
            for (const auto& [fd, e] : events_) {
                any = true;
                if (auto it = by_client_fd_.find(fd); it != by_client_fd_.end()) {
                    if (e.kind == AppEvent::Kind::readable) conns_[it->second].client.readable_seen = true;
                    client_app(it->second);
                }
            }
            server_.take_events(events_);
            for (const auto& [fd, e] : events_) {
                any = true;
                if (auto it = by_server_fd_.find(fd); it != by_server_fd_.end()) server_app(it->second);
            }
            record_changes();
            if (!any) return;
        }
        FAIL() << "the applications never settled";
    }

    bool carry(Stack& from, bool to_server) {
        from.take_segments(segments_);
        if (segments_.empty()) return false;
        std::uniform_real_distribution<double> coin(0.0, 1.0);
        std::uniform_int_distribution<std::int64_t> delay_us(2'000, 30'000);  // jitter reorders
        for (auto& s : segments_) {
            observe_departure(s, to_server);
            if (coin(rng_) < 0.04) {
                ++lost_;
                continue;
            }
            const int copies = coin(rng_) < 0.02 ? 2 : 1;
            duplicated_ += static_cast<std::uint64_t>(copies - 1);
            for (int k = 0; k < copies; ++k) {
                in_flight_.push({now_ + Duration::micros(delay_us(rng_)), order_++, to_server, s});
                ++carried_;
            }
        }
        return true;
    }

    void accept_all() {
        for (;;) {
            const Opened o = server_.accept(listener_);
            if (!o.ok()) return;
            const auto port = server_.tuple(o.fd)->remote.port;
            const auto it = by_port_.find(port);
            ASSERT_NE(it, by_port_.end());
            conns_[it->second].server.fd = o.fd;
            by_server_fd_[o.fd] = it->second;
            server_app(it->second);
        }
    }

    static void read_into(Stack& s, App& app, Stream& st, std::size_t conn, int direction) {
        std::array<std::byte, 8192> buf{};
        for (;;) {
            const Io r = s.recv(app.fd, buf);
            if (!r.ok()) {
                if (r.error != Errno::eagain) app.error = true;
                return;
            }
            if (r.bytes == 0) {
                st.eof = true;
                return;
            }
            for (std::size_t k = 0; k < r.bytes; ++k)
                if (buf[k] != payload_byte(conn, direction, st.read + k)) st.corrupt = true;
            st.read += r.bytes;
        }
    }

    static void write_from(Stack& s, Instant now, App& app, Stream& st, std::size_t total, std::size_t conn,
                           int direction) {
        while (st.written < total) {
            std::array<std::byte, 8192> buf{};
            const std::size_t n = std::min(buf.size(), total - st.written);
            for (std::size_t k = 0; k < n; ++k) buf[k] = payload_byte(conn, direction, st.written + k);
            const Io r = s.send(now, app.fd, std::span{buf.data(), n});
            if (!r.ok() || r.bytes == 0) {
                if (!r.ok() && r.error != Errno::eagain) app.error = true;
                return;
            }
            st.written += r.bytes;
        }
    }

    void close(Stack& s, App& app, std::unordered_map<int, std::size_t>& fds) {
        s.close(now_, app.fd);
        fds.erase(app.fd);
        app.closed = true;
    }

    static bool talking(Stack& s, const App& app) {
        const auto st = s.state(app.fd);
        return st == TcpState::established || st == TcpState::close_wait;
    }

    void client_app(std::size_t i) {
        Connection& c = conns_[i];
        App& app = c.client;
        if (app.closed) return;
        const Plan& p = c.plan;
        if (p.ending != Ending::client_leaves_unread) read_into(client_, app, c.down, i, 1);
        else if (client_.socket_error(app.fd) != Errno::none) app.error = true;
        if (talking(client_, app)) {
            const std::size_t upto = p.ending == Ending::client_aborts ? p.request / 2 : p.request;
            write_from(client_, now_, app, c.up, upto, i, 0);
            if (p.ending == Ending::client_aborts && c.up.written >= upto) {
                client_.abort(now_, app.fd);
                close(client_, app, by_client_fd_);
                return;
            }
            if (p.ending == Ending::client_half_closes && c.up.written == p.request && !app.shut) {
                client_.shutdown(now_, app.fd, ShutdownHow::write);
                app.shut = true;
            }
        }
        const auto st = client_.state(app.fd);
        const bool done = app.error || c.down.eof || st == TcpState::closed ||
                          (p.ending == Ending::client_closes_first && c.down.read == p.response) ||
                          (p.ending == Ending::client_leaves_unread && app.readable_seen);
        if (done) close(client_, app, by_client_fd_);
    }

    void server_app(std::size_t i) {
        Connection& c = conns_[i];
        App& app = c.server;
        if (app.closed || app.fd < 0) return;
        const Plan& p = c.plan;
        read_into(server_, app, c.up, i, 0);
        const bool have_request = c.up.read == p.request;
        if (p.ending == Ending::server_aborts && have_request) {
            server_.set_linger(app.fd, true, 0);
            close(server_, app, by_server_fd_);
            return;
        }
        const bool respond = p.ending == Ending::client_half_closes ? c.up.eof : have_request;
        if (respond && talking(server_, app)) write_from(server_, now_, app, c.down, p.response, i, 1);
        const bool sent = c.down.written == p.response;
        const auto st = server_.state(app.fd);
        bool done = app.error || st == TcpState::closed;
        switch (p.ending) {
        case Ending::server_closes_first:
        case Ending::client_half_closes: done = done || (respond && sent) || c.up.eof; break;
        case Ending::client_closes_first:
        case Ending::client_aborts:
        case Ending::client_leaves_unread:
        case Ending::server_aborts: done = done || c.up.eof; break;
        }
        if (done) close(server_, app, by_server_fd_);
    }

    void observe_departure(const Segment& s, bool to_server) {
        const auto port = to_server ? s.tcp.src_port : s.tcp.dst_port;
        const auto it = by_port_.find(port);
        if (it == by_port_.end() || !s.tcp.flags.syn_set()) return;
        Stream& st = to_server ? conns_[it->second].up : conns_[it->second].down;
        if (!st.isn) st.isn = s.tcp.seq;
    }

    // An ACK that reached the sender acknowledges bytes of the other
    // direction; a RST's acknowledgment field is not one (RFC 9293 §3.10.7.1
    // sets it for segments that matched no connection).
    void observe_arrival(const InFlight& f) {
        const Segment& s = f.segment;
        if (!s.tcp.flags.ack_set() || s.tcp.flags.rst_set()) return;
        const auto port = f.to_server ? s.tcp.src_port : s.tcp.dst_port;
        const auto it = by_port_.find(port);
        if (it == by_port_.end()) return;
        Stream& st = f.to_server ? conns_[it->second].down : conns_[it->second].up;
        if (!st.isn) return;
        const std::uint32_t covered = s.tcp.ack - (*st.isn + 1u);
        if (covered < (1u << 31)) st.acked = std::max(st.acked, covered);
    }

    void record_changes() {
        for (const auto& ch : client_.take_changes()) client_state_[ch.tuple.local.port] = ch.change.to;
        for (const auto& ch : server_.take_changes())
            if (ch.tuple.remote.port != 0) server_state_[ch.tuple.remote.port] = ch.change.to;
    }

    std::mt19937_64 rng_;
    Stack client_;
    Stack server_;
    std::vector<Connection> conns_;
    Instant now_{Instant::from_seconds(10)};
    int listener_{-1};
    std::priority_queue<std::pair<Instant, std::size_t>, std::vector<std::pair<Instant, std::size_t>>, std::greater<>>
        starts_;
    std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
    std::uint64_t order_{0};
    std::unordered_map<std::uint16_t, std::size_t> by_port_;
    std::unordered_map<int, std::size_t> by_client_fd_;
    std::unordered_map<int, std::size_t> by_server_fd_;
    std::vector<Segment> segments_;
    std::vector<std::pair<int, AppEvent>> events_;
    std::map<std::uint16_t, TcpState> client_state_;
    std::map<std::uint16_t, TcpState> server_state_;
    std::uint64_t lost_{0};
    std::uint64_t duplicated_{0};
    std::uint64_t carried_{0};
};

void check(Network& net) {
    Stack& client = net.client();
    Stack& server = net.server();
    // Nothing outlives its connection.
    EXPECT_EQ(client.connections(), 0u);
    EXPECT_EQ(server.connections(), 0u);
    EXPECT_EQ(client.time_wait_entries(), 0u);
    EXPECT_EQ(server.time_wait_entries(), 0u);
    EXPECT_EQ(client.timers(), 0u);
    EXPECT_EQ(server.timers(), 0u);
    EXPECT_GT(net.lost(), 0u);
    EXPECT_GT(net.duplicated(), 0u);
    std::size_t graceful = 0;
    for (std::size_t i = 0; i < net.connections().size(); ++i) {
        const Connection& c = net.connections()[i];
        SCOPED_TRACE("connection " + std::to_string(i) + " ending " + std::to_string(static_cast<int>(c.plan.ending)));
        ASSERT_TRUE(c.port);
        EXPECT_TRUE(c.client.closed);
        EXPECT_TRUE(c.server.fd < 0 || c.server.closed);
        // Every endpoint's last state change was into CLOSED.
        EXPECT_EQ(net.last_client_state().at(*c.port), TcpState::closed);
        if (const auto it = net.last_server_state().find(*c.port); it != net.last_server_state().end()) {
            EXPECT_EQ(it->second, TcpState::closed);
        }
        // What a receiver acknowledged reached its application, in order.
        EXPECT_FALSE(c.up.corrupt);
        EXPECT_FALSE(c.down.corrupt);
        EXPECT_LE(c.up.read, c.up.written);
        EXPECT_LE(c.down.read, c.down.written);
        EXPECT_GE(c.up.read, std::min<std::size_t>(c.up.acked, c.up.written));
        if (c.plan.ending != Ending::client_leaves_unread) {
            EXPECT_GE(c.down.read, std::min<std::size_t>(c.down.acked, c.down.written));
        }
        const bool whole = c.up.read == c.plan.request && c.down.read == c.plan.response && c.down.eof;
        if (whole) ++graceful;
    }
    // Loss of 4% is not so much that the graceful endings fail to happen.
    EXPECT_GT(graceful, net.connections().size() / 4);
    std::printf("%zu connections, %llu segments carried, %llu lost, %llu duplicated; %zu whole exchanges; "
                "server: %llu RSTs out, %llu retransmissions, %llu TIME-WAIT expiries\n",
                net.connections().size(), static_cast<unsigned long long>(net.carried()),
                static_cast<unsigned long long>(net.lost()), static_cast<unsigned long long>(net.duplicated()), graceful,
                static_cast<unsigned long long>(server.counter(Counter::out_rsts)),
                static_cast<unsigned long long>(server.counter(Counter::retrans_segs)),
                static_cast<unsigned long long>(server.counter(Counter::time_waited) + client.counter(Counter::time_waited)));
}

} // namespace

TEST(RandomNetwork, thousands_of_connections_through_loss_duplication_and_reordering_all_close_cleanly_rfc) {
    Network net{1, Config::rfc(), 2000};
    net.run();
    check(net);
}

TEST(RandomNetwork, thousands_of_connections_through_loss_duplication_and_reordering_all_close_cleanly_linux) {
    Network net{2, Config::linux(), 2000};
    net.run();
    check(net);
}
