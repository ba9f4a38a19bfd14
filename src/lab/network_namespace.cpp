#include "lab/network_namespace.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

namespace teardown::lab {

namespace {

constexpr const char* k_netns_dir = "/run/netns";

std::string os_error(int e) { return std::strerror(e); }

bool plain_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (const char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return n != "." && n != "..";
}

} // namespace

Result<NetworkNamespace> NetworkNamespace::create(const std::string& name) {
    if (!plain_name(name)) return Error::bad_value("network namespace name '" + name + "': letters, digits, '-', '_' and '.' only");
    if (geteuid() != 0) return Error::state("teardown lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make a network namespace");
    if (mkdir(k_netns_dir, 0755) != 0 && errno != EEXIST)
        return Error::io(std::string{k_netns_dir} + ": cannot create: " + os_error(errno));
    const std::string path = std::string{k_netns_dir} + "/" + name;
    const int marker = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (marker < 0) {
        if (errno == EEXIST)
            return Error::state("network namespace '" + name + "' exists (" + path + "); remove it with `ip netns del " + name +
                                  "` or choose another with --netns");
        return Error::io(path + ": cannot create: " + os_error(errno));
    }
    close(marker);
    // A thread of its own makes the namespace and binds it at `path`, so the
    // caller's threads stay where they are.
    int failure = 0;
    const char* what = "";
    std::thread maker{[&] {
        if (unshare(CLONE_NEWNET) != 0) {
            failure = errno;
            what = "unshare(CLONE_NEWNET)";
            return;
        }
        if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
            failure = errno;
            what = "bind mount";
        }
    }};
    maker.join();
    if (failure != 0) {
        unlink(path.c_str());
        return Error::io("network namespace '" + name + "': " + what + ": " + os_error(failure));
    }
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        umount2(path.c_str(), MNT_DETACH);
        unlink(path.c_str());
        return Error::io(path + ": " + os_error(e));
    }
    return NetworkNamespace{name, path, fd};
}

NetworkNamespace::NetworkNamespace(NetworkNamespace&& other) noexcept
    : name_{std::move(other.name_)}, path_{std::move(other.path_)}, fd_{other.fd_} {
    other.fd_ = -1;
    other.path_.clear();
}

NetworkNamespace::~NetworkNamespace() {
    if (fd_ < 0) return;
    close(fd_);
    umount2(path_.c_str(), MNT_DETACH);
    unlink(path_.c_str());
}

Result<InNamespace> InNamespace::enter(const NetworkNamespace& ns) {
    const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) return Error::io(std::string{"/proc/thread-self/ns/net: "} + os_error(errno));
    if (setns(ns.fd(), CLONE_NEWNET) != 0) {
        const int e = errno;
        close(home);
        return Error::io("setns into '" + ns.name() + "': " + os_error(e));
    }
    return InNamespace{home};
}

InNamespace::~InNamespace() {
    if (home_ < 0) return;
    (void)setns(home_, CLONE_NEWNET);
    close(home_);
}

} // namespace teardown::lab
