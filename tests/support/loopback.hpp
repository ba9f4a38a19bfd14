#pragma once
// The kernel sockets tests and benchmarks make on a loopback of their own
// (the host's, or a namespace's they created): its IPv4 address with a
// port, and a listener there.
#include <cstdint>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace teardown::test {

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return s;
}

// A socket listening on 127.0.0.1:`port` (SO_REUSEADDR, for the TIME_WAIT
// sockets earlier runs leave), or -1.
inline int listen_on_loopback(std::uint16_t port, int backlog) {
    const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) return -1;
    const int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in at = loopback(port);
    if (bind(l, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 || listen(l, backlog) != 0) {
        close(l);
        return -1;
    }
    return l;
}

} // namespace teardown::test
