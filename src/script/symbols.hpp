#pragma once
// The names a script's system calls use (SOCK_STREAM, SO_LINGER, O_NONBLOCK,
// ECONNRESET ...), with Linux's values so scripts written for Linux read the same.
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/errno.hpp"

namespace teardown::script {

namespace sym {
inline constexpr std::int64_t sol_socket = 1, sol_tcp = 6;
inline constexpr std::int64_t so_reuseaddr = 2, so_error = 4, so_sndbuf = 7, so_rcvbuf = 8, so_keepalive = 9,
                              so_linger = 13;
inline constexpr std::int64_t tcp_nodelay = 1, tcp_keepidle = 4, tcp_keepintvl = 5, tcp_keepcnt = 6,
                              tcp_linger2 = 8, tcp_info = 11, tcp_user_timeout = 18;
inline constexpr std::int64_t shut_rd = 0, shut_wr = 1, shut_rdwr = 2;
inline constexpr std::int64_t f_getfl = 3, f_setfl = 4;
inline constexpr std::int64_t o_rdwr = 2, o_nonblock = 04000;
} // namespace sym

// A constant's value by its name; nothing for a name we do not know.
std::optional<std::int64_t> symbol_value(std::string_view name);
// An errno by its name ("ECONNRESET").
std::optional<engine::Errno> errno_named(std::string_view name);

} // namespace teardown::script
