#include "watch/socket_owners.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace teardown::watch {

std::unordered_map<std::uint32_t, SocketOwner> owners_of(const std::unordered_set<std::uint32_t>& inodes) {
    std::unordered_map<std::uint32_t, SocketOwner> found;
    if (inodes.empty()) return found;
    DIR* proc = opendir("/proc");
    if (!proc) return found;
    while (dirent* p = readdir(proc)) {
        char* end = nullptr;
        const unsigned long pid = std::strtoul(p->d_name, &end, 10);
        if (end == p->d_name || *end != '\0') continue;
        const std::string fd_dir = std::string{"/proc/"} + p->d_name + "/fd";
        DIR* fds = opendir(fd_dir.c_str());
        if (!fds) continue;  // gone, or not ours to read
        while (dirent* f = readdir(fds)) {
            char link[64];
            const std::string path = fd_dir + "/" + f->d_name;
            const auto n = readlink(path.c_str(), link, sizeof link - 1);
            if (n <= 0) continue;
            link[n] = '\0';
            unsigned long inode = 0;
            if (std::sscanf(link, "socket:[%lu]", &inode) != 1 || !inodes.count(static_cast<std::uint32_t>(inode))) continue;
            SocketOwner o;
            o.pid = static_cast<std::uint32_t>(pid);
            std::ifstream comm{std::string{"/proc/"} + p->d_name + "/comm"};
            std::getline(comm, o.comm);
            found.emplace(static_cast<std::uint32_t>(inode), std::move(o));
        }
        closedir(fds);
        if (found.size() == inodes.size()) break;
    }
    closedir(proc);
    return found;
}

} // namespace teardown::watch
