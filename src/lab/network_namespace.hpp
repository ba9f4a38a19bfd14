#pragma once
// A named network namespace of our own, as `ip netns add` makes one: bound
// at /run/netns/NAME so that `ip netns exec NAME ...` reaches it, and
// removed again when the object goes. Nothing here touches the namespace
// the process started in: a thread enters ours with InNamespace and leaves
// it when that goes out of scope (setns(2) moves the calling thread only).
#include <string>

#include "core/result.hpp"

namespace teardown::lab {

class NetworkNamespace {
public:
    // Errors: not root, the name taken, a name that is not a plain word.
    static Result<NetworkNamespace> create(const std::string& name);
    NetworkNamespace(NetworkNamespace&& other) noexcept;
    NetworkNamespace& operator=(NetworkNamespace&&) = delete;
    NetworkNamespace(const NetworkNamespace&) = delete;
    ~NetworkNamespace();

    const std::string& name() const { return name_; }
    const std::string& path() const { return path_; }
    int fd() const { return fd_; }

private:
    NetworkNamespace(std::string name, std::string path, int fd) : name_{std::move(name)}, path_{std::move(path)}, fd_{fd} {}
    std::string name_;
    std::string path_;
    int fd_{-1};
};

// Brings the namespace's loopback interface up (a new namespace has it down).
Result<void> loopback_up(const NetworkNamespace& ns);

// The calling thread inside `ns` for this object's lifetime.
class InNamespace {
public:
    static Result<InNamespace> enter(const NetworkNamespace& ns);
    InNamespace(InNamespace&& other) noexcept : home_{other.home_} { other.home_ = -1; }
    InNamespace& operator=(InNamespace&&) = delete;
    ~InNamespace();

private:
    explicit InNamespace(int home) : home_{home} {}
    int home_{-1};  // the namespace the thread came from
};

} // namespace teardown::lab
