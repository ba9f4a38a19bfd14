#pragma once
// From the kernel's events to one record per connection, in the shared
// vocabulary: how it ended (from the states it went through, the resets
// and the socket error at the end), who closed, who reset and why, the
// retransmissions, the owner and how long it lived. Pure: events in,
// records out; the caller's clock only says when to stop waiting.
//
// What the kernel shows, and so what this reads (Linux 6.x):
// - TIME_WAIT is no state change: the full socket goes FIN_WAIT2 (or
//   CLOSING, or FIN_WAIT1 on a FIN+ACK) -> CLOSE when a timewait socket
//   takes its place. That close is graceful, with TIME_WAIT on this side,
//   when the peer's FIN had come; an orphan in FIN_WAIT2 also becomes a
//   timewait socket before the peer's FIN, and that one is half_open.
// - An abortive close sets CLOSE first and sends the RST after, so a
//   record waits `settle` for trailing events before it is final.
// - sk_err at the CLOSE says timeout (ETIMEDOUT) from refusal (ECONNREFUSED).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "watch/kernel_event.hpp"

namespace teardown::watch {

struct WatchRecord {
    std::uint64_t cookie{0};
    std::uint32_t netns{0};
    wire::FourTuple tuple;          // local: this host's end
    bool local_is_client{false};
    bool role_inferred{false};      // it began before the watch: the role is guessed from the ports
    std::uint32_t pid{0};
    std::string comm;
    std::uint64_t cgroup{0};        // the owner's cgroup v2 id; 0 unknown
    Instant opened{};               // the first event seen
    Instant closed{};
    std::vector<TcpState> path;     // the RFC states it went through, in order
    Ending ending{Ending::open};
    Closer closer{Closer::none};
    std::optional<Side> reset_by;
    std::string reset_reason;       // the kernel's sk_rst_reason, when this side sent the RST
    int error{0};                   // sk_err at the end (ETIMEDOUT 110, ECONNREFUSED 111, ...)
    std::uint32_t retransmissions{0};
    bool time_wait{false};          // this side went on in TIME_WAIT

    Side local_side() const { return local_is_client ? Side::client : Side::server; }
};

class LifecycleTracker {
public:
    using Sink = std::function<void(WatchRecord&&)>;
    // `reason_name`: the kernel's name for a reset reason number.
    LifecycleTracker(Sink sink, std::function<std::string(std::uint32_t)> reason_name,
                     Duration settle = Duration::millis(200));

    void on_event(const KernelEvent& e);
    // Connections that closed at least `settle` before `now` are reported.
    void tick(Instant now);
    // The watch is over: closed ones are reported, open ones as `open`.
    void finish(Instant now);

    // A connection that exists now (a sock_diag snapshot at start): tracked
    // from its current state on.
    void seed(std::uint64_t cookie, std::uint32_t netns, const wire::FourTuple& tuple, KernelState state, Instant now);

    // The owner found another way (the socket's inode in /proc).
    void set_owner(std::uint64_t cookie, std::uint32_t pid, const std::string& comm) {
        if (auto it = conns_.find(cookie); it != conns_.end() && it->second.pid == 0) {
            it->second.pid = pid;
            it->second.comm = comm;
        }
    }

    struct Open {
        std::uint64_t cookie;
        wire::FourTuple tuple;
        KernelState state;
        Instant since;       // in this state since
        std::uint32_t pid;
        const std::string* comm;
        std::uint64_t cgroup;
    };
    // Every tracked connection not yet closed.
    void for_each_open(const std::function<void(const Open&)>& fn) const;
    std::size_t tracked() const { return conns_.size(); }

private:
    struct Conn {
        std::uint32_t netns{0};
        wire::FourTuple tuple;
        std::optional<bool> local_is_client;
        std::uint32_t pid{0};
        std::string comm;
        std::uint64_t cgroup{0};
        Instant opened{};
        KernelState state{KernelState::close};
        Instant state_since{};
        std::vector<KernelState> path;
        bool reset_received{false};
        bool reset_sent{false};
        std::uint32_t reset_reason{0};
        int sk_err{0};
        std::uint32_t retrans{0};
        std::optional<Instant> closed;
        KernelState closed_from{KernelState::close};
        bool peer_fin{false};
    };
    WatchRecord record_of(std::uint64_t cookie, const Conn& c) const;
    void emit(std::uint64_t cookie, const Conn& c);

    Sink sink_;
    std::function<std::string(std::uint32_t)> reason_name_;
    Duration settle_;
    std::unordered_map<std::uint64_t, Conn> conns_;
};

} // namespace teardown::watch
