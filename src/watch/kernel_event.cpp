#include "watch/kernel_event.hpp"

namespace teardown::watch {

std::optional<TcpState> rfc_state(KernelState s) {
    switch (s) {
    case KernelState::established: return TcpState::established;
    case KernelState::syn_sent: return TcpState::syn_sent;
    case KernelState::syn_recv: return TcpState::syn_received;
    case KernelState::fin_wait1: return TcpState::fin_wait_1;
    case KernelState::fin_wait2: return TcpState::fin_wait_2;
    case KernelState::time_wait: return TcpState::time_wait;
    case KernelState::close: return TcpState::closed;
    case KernelState::close_wait: return TcpState::close_wait;
    case KernelState::last_ack: return TcpState::last_ack;
    case KernelState::listen: return TcpState::listen;
    case KernelState::closing: return TcpState::closing;
    case KernelState::new_syn_recv: return TcpState::syn_received;
    case KernelState::bound_inactive: return std::nullopt;
    }
    return std::nullopt;
}

std::optional<KernelState> kernel_state(unsigned n) {
    if (n < 1 || n > 13) return std::nullopt;
    return static_cast<KernelState>(n);
}

} // namespace teardown::watch
