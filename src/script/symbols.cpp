#include "script/symbols.hpp"

#include <array>
#include <utility>

namespace teardown::script {

namespace {

using Named = std::pair<std::string_view, std::int64_t>;

constexpr std::array k_symbols{
    Named{"AF_INET", 2},          Named{"AF_INET6", 10},          Named{"PF_INET", 2},
    Named{"PF_INET6", 10},        Named{"SOCK_STREAM", 1},        Named{"IPPROTO_TCP", 6},
    Named{"IPPROTO_IP", 0},       Named{"SOL_SOCKET", sym::sol_socket}, Named{"SOL_TCP", sym::sol_tcp},
    Named{"SO_REUSEADDR", sym::so_reuseaddr}, Named{"SO_ERROR", sym::so_error},
    Named{"SO_SNDBUF", sym::so_sndbuf},       Named{"SO_RCVBUF", sym::so_rcvbuf},
    Named{"SO_KEEPALIVE", sym::so_keepalive}, Named{"SO_LINGER", sym::so_linger},
    Named{"TCP_NODELAY", sym::tcp_nodelay},   Named{"TCP_KEEPIDLE", sym::tcp_keepidle},
    Named{"TCP_KEEPINTVL", sym::tcp_keepintvl}, Named{"TCP_KEEPCNT", sym::tcp_keepcnt},
    Named{"TCP_LINGER2", sym::tcp_linger2},   Named{"TCP_INFO", sym::tcp_info},
    Named{"TCP_USER_TIMEOUT", sym::tcp_user_timeout},
    Named{"SHUT_RD", sym::shut_rd},           Named{"SHUT_WR", sym::shut_wr}, Named{"SHUT_RDWR", sym::shut_rdwr},
    Named{"F_GETFL", sym::f_getfl},           Named{"F_SETFL", sym::f_setfl},
    Named{"O_RDONLY", 0},                     Named{"O_WRONLY", 1}, Named{"O_RDWR", sym::o_rdwr},
    Named{"O_NONBLOCK", sym::o_nonblock},     Named{"MSG_PEEK", 2}, Named{"MSG_DONTWAIT", 0x40},
    Named{"MSG_NOSIGNAL", 0x4000},            Named{"MSG_WAITALL", 0x100},
};

} // namespace

std::optional<std::int64_t> symbol_value(std::string_view name) {
    for (const auto& [n, v] : k_symbols)
        if (n == name) return v;
    if (auto e = errno_named(name)) return static_cast<std::int64_t>(*e);
    return std::nullopt;
}

std::optional<engine::Errno> errno_named(std::string_view name) {
    if (name == "EWOULDBLOCK") return engine::Errno::eagain;
    return engine::errno_named(name);
}

} // namespace teardown::script
