#pragma once
// Which process holds a socket, from /proc/PID/fd (the links read
// "socket:[INODE]"): for connections whose owner the BPF side never saw (an
// accepted connection nobody reads, a connection older than the watch).
// One scan answers for many inodes; it costs a walk of every process's
// descriptors, so the monitor asks only for connections it flags.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace teardown::watch {

struct SocketOwner {
    std::uint32_t pid{0};
    std::string comm;
};

std::unordered_map<std::uint32_t, SocketOwner> owners_of(const std::unordered_set<std::uint32_t>& inodes);

} // namespace teardown::watch
