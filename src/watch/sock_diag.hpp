#pragma once
// The kernel's table of TCP sockets through netlink sock_diag (the
// interface `ss` uses), with libmnl: every socket of the caller's network
// namespace with its state, 4-tuple, cookie, inode and tcp_info. TIME_WAIT
// entries are here (they are no state change to a tracepoint), and so is
// everything that existed before a watch began.
#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "watch/kernel_event.hpp"

namespace teardown::watch {

struct DiagSocket {
    std::uint64_t cookie{0};
    KernelState state{KernelState::close};
    wire::FourTuple tuple;
    std::uint32_t inode{0};       // 0 for TIME_WAIT and orphans: no file refers to it
    std::uint32_t uid{0};
    std::uint32_t retransmits{0}; // tcpi_total_retrans
    std::uint32_t recv_q{0};      // unread bytes (rqueue)
};

// One dump of IPv4 and IPv6 TCP sockets in every state.
Result<std::vector<DiagSocket>> dump_tcp_sockets();

} // namespace teardown::watch
