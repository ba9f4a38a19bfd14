#pragma once
// One thing the kernel's TCP did to one socket, as watch's sources report
// it: a state change, a reset sent or received, a retransmission, the
// socket's destruction, or who owns it. Keyed by the socket cookie (the
// kernel's 64-bit socket id, the same one sock_diag reports), never by
// address: a 4-tuple is reused, a cookie is not.
#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "core/vocabulary.hpp"
#include "wire/ip_address.hpp"

namespace teardown::watch {

// The kernel's TCP_* numbers (include/net/tcp_states.h).
enum class KernelState : std::uint8_t {
    established = 1, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait, close, close_wait, last_ack, listen,
    closing, new_syn_recv, bound_inactive,
};
// The RFC 9293 state a kernel state is; nullopt for the kernel's own (NEW_SYN_RECV, BOUND_INACTIVE).
std::optional<TcpState> rfc_state(KernelState s);
std::optional<KernelState> kernel_state(unsigned number);

struct KernelEvent {
    enum class Kind : std::uint8_t { state, reset_sent, reset_received, retransmit, destroy, owner };
    Kind kind{Kind::state};
    Instant at{};
    std::uint64_t cookie{0};   // 0: a reset sent for no socket
    std::uint32_t netns{0};
    wire::FourTuple tuple;     // local and remote as the socket had them (ports may be 0 early and late)
    KernelState from{KernelState::close};
    KernelState to{KernelState::close};
    int sk_err{0};             // the socket's pending error at the event (ETIMEDOUT, ECONNREFUSED, ...)
    std::uint32_t reset_reason{0};  // reset_sent: enum sk_rst_reason
    std::uint32_t total_retrans{0};
    bool peer_fin{false};      // the peer's FIN had come (SOCK_DONE)
    std::uint32_t pid{0};      // owner
    std::string comm;          // owner
    std::uint64_t cgroup{0};   // owner's cgroup v2 id
};

} // namespace teardown::watch
