#pragma once
// Many connections behind one socket-like API: the Stack demultiplexes
// segments by 4-tuple, runs listeners with a backlog, picks ephemeral ports,
// answers segments that match no connection with the RST of RFC 9293
// §3.10.7.1, keeps TIME-WAIT in a compact table of its own, defends its
// listeners against SYN floods, counts what it does under Linux's MIB
// names, and keeps one deadline for the caller. Still sans-I/O: the
// caller feeds segments and time in and carries segments out.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <vector>

#include "engine/config.hpp"
#include "engine/errno.hpp"
#include "engine/segment.hpp"
#include "engine/mib.hpp"
#include "engine/tcb.hpp"
#include "engine/time_wait_table.hpp"
#include "engine/timer_wheel.hpp"
#include "wire/tuple_index.hpp"
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
    // Whether a listener or any connection, TIME-WAIT included, holds this
    // local endpoint (bind's EADDRINUSE). A scan: bind() is rare.
    bool local_in_use(const wire::Endpoint& local) const;
    bool listening_on(const wire::Endpoint& local) const;

    void on_segment(Instant now, const Segment& seg);
    void on_timer(Instant now);
    Instant next_deadline() const;

    std::vector<Segment> take_segments() { return std::exchange(out_, {}); }
    // The same, into the caller's vector (cleared first), whose storage the
    // Stack keeps for its next segments: a loop that swaps two vectors this
    // way allocates nothing once they have grown.
    void take_segments(std::vector<Segment>& into) {
        into.clear();
        std::swap(into, out_);
    }
    std::vector<ConnectionChange> take_changes() { return std::exchange(changes_, {}); }
    void take_changes(std::vector<ConnectionChange>& into) {
        into.clear();
        std::swap(into, changes_);
    }
    // What each descriptor's application would learn (connected, readable, peer closed, errors).
    std::vector<std::pair<int, AppEvent>> take_events() { return std::exchange(events_, {}); }
    void take_events(std::vector<std::pair<int, AppEvent>>& into) {
        into.clear();
        std::swap(into, events_);
    }
    // Endpoints (not counting TIME-WAIT entries) and TIME-WAIT entries.
    std::size_t connections() const { return by_tuple_.size(); }
    std::size_t time_wait_entries() const { return time_wait_.size(); }
    // Bytes the TIME-WAIT table holds (slab and index).
    std::size_t time_wait_bytes() const { return time_wait_.bytes(); }
    // Timers armed (endpoints that wait for something).
    std::size_t timers() const { return timers_.size(); }
    const Mib& mib() const { return shared_->mib; }
    std::uint64_t counter(Counter c) const { return shared_->mib[c]; }
    const Config& config() const { return config_; }

private:
    using Slot = std::uint32_t;  // where a connection lives; also its timer's id
    struct Connection {
        explicit Connection(const Config& socket, const wire::FourTuple& tuple) : tcb{socket, tuple} {}
        Tcb tcb;
        int fd{-1};
        int listener{-1};           // the listener it came from, until accepted
        bool app_closed{false};
        bool linger_zero{false};
        bool in_use{true};          // false while the slot waits on free_slots_
    };
    struct Listener {
        wire::Endpoint local;
        Config socket;
        int backlog{0};
        std::deque<wire::FourTuple> ready;      // established, not yet accepted
        std::deque<wire::FourTuple> syn_queue;  // SYN-RECEIVED, oldest first
        Instant last_cookie{Instant::never()};  // the latest SYN cookie sent
    };
    static constexpr std::int32_t k_no_slot = -1;
    static constexpr std::int32_t k_listener = -2;

    Connection& at(Slot s) { return *slots_[s]; }
    const Connection& at(Slot s) const { return *slots_[s]; }
    // What the tuple index needs to compare a slot with a tuple.
    auto tuple_of_slot() const {
        return [this](Slot id) -> const wire::FourTuple& { return at(id).tcb.tuple(); };
    }
    std::optional<Slot> find(const wire::FourTuple& tuple) const;
    std::optional<Slot> find_fd(int fd) const;
    Slot open_slot(const Config& socket, const wire::FourTuple& tuple);
    void free_slot(Slot s);
    int open_fd(std::int32_t what);
    void close_fd(int fd);
    bool is_listener(int fd) const { return listeners_.count(fd) != 0; }
    // Moves a connection's outputs to the stack's, re-arms its timer, frees it when done.
    void settle(Slot s);
    void reset_for_nothing(const Segment& seg);
    // TIME-WAIT in the table: entering it, answering for it, leaving it.
    void enter_time_wait_table(Slot s);
    // true: the segment is dealt with; false: it goes on as for no connection (a SYN that reuses the 4-tuple).
    bool on_time_wait_segment(Instant now, TimeWaitTable::Id id, const Segment& seg);
    void leave_time_wait(Instant now, const TimeWait& tw, Cause cause);
    void on_syn_for_listener(Instant now, int listener, const wire::FourTuple& tuple, const Segment& seg,
                             std::optional<SeqNum> after);
    std::optional<int> listener_for(const Segment& seg) const;
    void send_syn_cookie(Instant now, Listener& l, const wire::FourTuple& tuple, const Segment& syn);
    bool on_cookie_ack(Instant now, int listener, const wire::FourTuple& tuple, const Segment& seg);
    std::uint64_t cookie_secret() const;
    void send(Segment seg);
    std::optional<std::uint16_t> ephemeral_port(const wire::Endpoint& local, const wire::Endpoint& remote);

    Config config_;
    // Connections live in recycled slots (their Tcb's buffers with them),
    // found by 4-tuple through the index and by descriptor through fd_slots_.
    std::vector<std::unique_ptr<Connection>> slots_;
    std::vector<Slot> free_slots_;
    wire::TupleIndex by_tuple_;
    std::vector<std::int32_t> fd_slots_;  // a descriptor's slot, k_listener or k_no_slot
    std::priority_queue<int, std::vector<int>, std::greater<int>> free_fds_;  // lowest first, as POSIX hands them out
    std::map<int, Listener> listeners_;
    std::uint32_t next_ephemeral_{0};
    TimerWheel timers_;
    std::vector<TimerWheel::Id> due_;
    std::vector<Segment> out_;
    std::vector<ConnectionChange> changes_;
    std::vector<std::pair<int, AppEvent>> events_;
    // Counters and the challenge-ACK budget, where the Tcbs can reach them
    // however the Stack itself is moved.
    std::unique_ptr<StackShared> shared_ = std::make_unique<StackShared>();
    TimeWaitTable time_wait_;
};

} // namespace teardown::engine
