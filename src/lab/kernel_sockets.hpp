#pragma once
// The kernel's side of the lab: its TCP sockets in our namespace, through
// watch's sock_diag dump (the table `ss` reads, TIME-WAIT entries
// included), and programs started inside the namespace.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/vocabulary.hpp"
#include "lab/network_namespace.hpp"
#include "wire/ip_address.hpp"

namespace teardown::lab {

struct KernelSocket {
    wire::Endpoint local;
    wire::Endpoint remote;
    TcpState state{TcpState::closed};
};

// Every TCP socket of the namespace's kernel, IPv4 and IPv6.
Result<std::vector<KernelSocket>> kernel_sockets(const NetworkNamespace& ns);
// Whether the kernel listens on `port` (any address) in the namespace.
bool kernel_listens(const NetworkNamespace& ns, std::uint16_t port);

// Starts `argv` inside the namespace (its stdin from /dev/null, its stdout
// to `stdout_path` when one is given); the child's pid.
Result<pid_t> spawn_in(const NetworkNamespace& ns, const std::vector<std::string>& argv, const std::string& stdout_path = {});

} // namespace teardown::lab
