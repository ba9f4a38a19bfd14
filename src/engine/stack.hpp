#pragma once
// Many connections behind one socket-like API: the Stack demultiplexes
// segments by 4-tuple, runs listeners with a backlog, picks ephemeral ports,
// answers segments that match no connection with the RST of RFC 9293
// §3.10.7.1, and keeps one deadline for the caller. Still sans-I/O: the
// caller feeds segments and time in and carries segments out.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/config.hpp"
#include "engine/errno.hpp"
#include "engine/segment.hpp"
#include "engine/tcb.hpp"
#include "wire/ip_address.hpp"

namespace teardown::engine {

// A descriptor, or the error a socket call would return.
struct Opened {
    int fd{-1};
    Errno error{Errno::none};
    bool ok() const { return error == Errno::none; }
};

enum class ShutdownHow : std::uint8_t { read, write, both };

// A state change of one connection, with which connection it was.
struct ConnectionChange {
    int fd{-1};  // -1 once the application has closed it, or before accept()
    wire::FourTuple tuple;
    StateChange change;
};

struct StackCounters {
    std::uint64_t active_opens{0};     // Linux MIB ActiveOpens
    std::uint64_t passive_opens{0};    // PassiveOpens
    std::uint64_t out_rsts{0};         // OutRsts: RSTs for segments that matched nothing
    std::uint64_t listen_drops{0};     // ListenDrops: SYNs dropped on a full backlog
    std::uint64_t connections_freed{0};
};

class Stack {
public:
    explicit Stack(Config config = Config::rfc());

    // A listener; `socket` holds its socket options, which the connections it accepts inherit.
    Opened listen(Instant now, const wire::Endpoint& local, int backlog) { return listen(now, local, backlog, config_); }
    Opened listen(Instant now, const wire::Endpoint& local, int backlog, const Config& socket);
    Opened accept(int listener);
    // Active open from `local` (port 0: an ephemeral port) to `remote`.
    Opened connect(Instant now, const wire::Endpoint& local, const wire::Endpoint& remote) {
        return connect(now, local, remote, config_);
    }
    Opened connect(Instant now, const wire::Endpoint& local, const wire::Endpoint& remote, const Config& socket);
    // setsockopt() after the open: the descriptor's options from now on.
    Errno reconfigure(Instant now, int fd, const Config& socket);
    Io send(Instant now, int fd, std::span<const std::byte> data);
    Io recv(int fd, std::span<std::byte> out);
    Errno shutdown(Instant now, int fd, ShutdownHow how);
    Errno close(Instant now, int fd);
    Errno abort(Instant now, int fd);
    // SO_LINGER: with {on, 0} close() resets (RFC 9293 §3.10.4 leaves abortive close to the user).
    Errno set_linger(int fd, bool on, int seconds);

    std::optional<TcpState> state(int fd) const;
    Errno socket_error(int fd) const;  // SO_ERROR
    std::optional<wire::FourTuple> tuple(int fd) const;
    // A connection's state whether or not a descriptor still names it (an
    // orphan in FIN-WAIT-2 or TIME-WAIT); nullopt once it is freed.
    std::optional<TcpState> state_of(const wire::FourTuple& tuple) const;
    // Whether a listener or any connection, TIME-WAIT included, holds this local endpoint (bind's EADDRINUSE).
    bool local_in_use(const wire::Endpoint& local) const;
    bool listening_on(const wire::Endpoint& local) const;

    void on_segment(Instant now, const Segment& seg);
    void on_timer(Instant now);
    Instant next_deadline() const;

    std::vector<Segment> take_segments() { return std::exchange(out_, {}); }
    std::vector<ConnectionChange> take_changes() { return std::exchange(changes_, {}); }
    // What each descriptor's application would learn (connected, readable, peer closed, errors).
    std::vector<std::pair<int, AppEvent>> take_events() { return std::exchange(events_, {}); }
    std::size_t connections() const { return conns_.size(); }
    const StackCounters& counters() const { return counters_; }
    const Config& config() const { return config_; }

private:
    struct Connection {
        std::unique_ptr<Tcb> tcb;
        int fd{-1};
        int listener{-1};           // the listener it came from, until accepted
        bool app_closed{false};
        bool linger_zero{false};
        Instant armed{Instant::never()};  // the deadline the timer heap holds for it
    };
    struct Listener {
        wire::Endpoint local;
        Config socket;
        int backlog{0};
        std::deque<wire::FourTuple> ready;  // established, not yet accepted
        std::size_t half_open{0};
    };
    struct Timer {
        Instant at;
        wire::FourTuple tuple;
        bool operator>(const Timer& o) const { return at > o.at; }
    };

    using Connections = std::unordered_map<wire::FourTuple, Connection>;
    Connections::iterator find_fd(int fd);
    const Connection* find(int fd) const;
    // Moves a connection's outputs to the stack's, re-arms its timer, frees it when done.
    void settle(Connections::iterator it);
    void reset_for_nothing(const Segment& seg);
    bool stale(const Timer& t) const;
    std::optional<std::uint16_t> ephemeral_port(const wire::Endpoint& local, const wire::Endpoint& remote);

    Config config_;
    Connections conns_;
    std::map<int, Listener> listeners_;
    std::unordered_map<int, wire::FourTuple> fds_;
    int next_fd_{3};
    std::uint32_t next_ephemeral_{0};
    // A min-heap of deadlines; stale entries are skipped when they surface.
    mutable std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
    std::vector<Segment> out_;
    std::vector<ConnectionChange> changes_;
    std::vector<std::pair<int, AppEvent>> events_;
    StackCounters counters_;
};

} // namespace teardown::engine
