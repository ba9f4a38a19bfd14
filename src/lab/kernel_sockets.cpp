#include "lab/kernel_sockets.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace teardown::lab {

namespace {

// /proc/net/tcp's st column: the kernel's TCP_* numbers (include/net/tcp_states.h).
std::optional<TcpState> state_of(unsigned st) {
    switch (st) {
    case 1: return TcpState::established;
    case 2: return TcpState::syn_sent;
    case 3: return TcpState::syn_received;
    case 4: return TcpState::fin_wait_1;
    case 5: return TcpState::fin_wait_2;
    case 6: return TcpState::time_wait;
    case 7: return TcpState::closed;
    case 8: return TcpState::close_wait;
    case 9: return TcpState::last_ack;
    case 10: return TcpState::listen;
    case 11: return TcpState::closing;
    case 12: return TcpState::syn_received;  // TCP_NEW_SYN_RECV: a request socket
    }
    return std::nullopt;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// "0100007F:0050": the address as the kernel stores it (32-bit words in host order), then the port.
std::optional<wire::Endpoint> endpoint(const std::string& field) {
    const auto colon = field.find(':');
    if (colon == std::string::npos || (colon != 8 && colon != 32)) return std::nullopt;
    std::array<std::byte, 16> b{};
    for (std::size_t word = 0; word < colon / 8; ++word) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            const int h = hex(field[word * 8 + i]);
            if (h < 0) return std::nullopt;
            v = v << 4 | static_cast<std::uint32_t>(h);
        }
        std::memcpy(b.data() + word * 4, &v, 4);  // host order on the machine that wrote it: this one
    }
    const unsigned long port = std::strtoul(field.c_str() + colon + 1, nullptr, 16);
    wire::Endpoint e;
    e.addr = colon == 8 ? wire::IpAddress::v4(b.data()) : wire::IpAddress::v6(b.data());
    e.port = static_cast<std::uint16_t>(port);
    return e;
}

void read_table(const char* path, std::vector<KernelSocket>& out) {
    std::ifstream in{path};
    std::string line;
    std::getline(in, line);  // the heading
    while (std::getline(in, line)) {
        std::istringstream fields{line};
        std::string slot, local, remote, st;
        fields >> slot >> local >> remote >> st;
        const auto l = endpoint(local);
        const auto r = endpoint(remote);
        const auto s = state_of(static_cast<unsigned>(std::strtoul(st.c_str(), nullptr, 16)));
        if (l && r && s) out.push_back({*l, *r, *s});
    }
}

} // namespace

Result<std::vector<KernelSocket>> kernel_sockets(const NetworkNamespace& ns) {
    auto inside = InNamespace::enter(ns);
    if (!inside) return inside.error();
    std::vector<KernelSocket> out;
    // thread-self: /proc/self/net would show the namespace of the process's first thread.
    read_table("/proc/thread-self/net/tcp", out);
    read_table("/proc/thread-self/net/tcp6", out);
    return out;
}

bool kernel_listens(const NetworkNamespace& ns, std::uint16_t port) {
    const auto socks = kernel_sockets(ns);
    if (!socks) return false;
    for (const auto& s : *socks)
        if (s.state == TcpState::listen && s.local.port == port) return true;
    return false;
}

Result<pid_t> spawn_in(const NetworkNamespace& ns, const std::vector<std::string>& argv, const std::string& stdout_path) {
    if (argv.empty()) return Error::bad_value("no command to run in the namespace");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return Error::io(std::string{"fork: "} + std::strerror(errno));
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        if (setns(ns.fd(), CLONE_NEWNET) != 0) _exit(126);
        const int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, STDIN_FILENO);
        if (!stdout_path.empty()) {
            const int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (out < 0) _exit(126);
            dup2(out, STDOUT_FILENO);
        }
        execvp(args[0], args.data());
        _exit(127);
    }
    return pid;
}

} // namespace teardown::lab
