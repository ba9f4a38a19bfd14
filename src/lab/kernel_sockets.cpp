#include "lab/kernel_sockets.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "watch/sock_diag.hpp"

namespace teardown::lab {

Result<std::vector<KernelSocket>> kernel_sockets(const NetworkNamespace& ns) {
    // A netlink socket answers for the namespace of the thread that made it.
    auto inside = InNamespace::enter(ns);
    if (!inside) return inside.error();
    auto table = watch::dump_tcp_sockets();
    if (!table) return table.error();
    std::vector<KernelSocket> out;
    for (const auto& s : *table)
        if (const auto state = watch::rfc_state(s.state)) out.push_back({s.tuple.local, s.tuple.remote, *state});
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
