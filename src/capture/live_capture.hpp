#pragma once
// Live capture from an interface through libpcap, with a BPF filter, in
// immediate mode so closing packets show up as they happen.
#include <cstdint>
#include <memory>
#include <string>

#include "capture/frame.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace teardown::capture {

struct LiveStats {
    std::uint64_t received{0};
    std::uint64_t dropped_by_kernel{0};
    std::uint64_t dropped_by_interface{0};
};

class LiveCapture {
public:
    static Result<LiveCapture> open(const std::string& interface, const std::string& filter,
                                    std::uint32_t snaplen = 262144, bool promiscuous = false);
    // Waits up to `timeout` for a frame: true and a frame, false on timeout or
    // after breakloop(); the frame's bytes stay valid until the next call.
    Result<bool> next(Frame& frame, Duration timeout);
    // Safe from another thread or a signal handler: the next call returns false.
    void breakloop();
    Result<LiveStats> stats() const;
    wire::LinkType link() const { return link_; }
    const std::string& interface() const { return interface_; }

private:
    struct Handle;
    std::shared_ptr<Handle> handle_;
    std::string interface_;
    wire::LinkType link_{wire::LinkType::ethernet};
};

} // namespace teardown::capture
