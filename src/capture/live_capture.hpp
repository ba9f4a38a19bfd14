#pragma once
// Live capture from an interface through libpcap, with a BPF filter, in
// immediate mode so closing packets show up as they happen, stamped to the
// nanosecond where the kernel can (a loopback close takes microseconds).
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

struct LiveOptions {
    std::uint32_t snaplen{262144};
    bool promiscuous{false};
    // The kernel's ring for frames not yet read (tcpdump's -B): what a
    // burst may fill while the reader is busy before the kernel drops.
    // libpcap's own default is 2 MiB, a fraction of a second of a busy link.
    std::uint32_t buffer_bytes{32 * 1024 * 1024};
};

class LiveCapture {
public:
    static Result<LiveCapture> open(const std::string& interface, const std::string& filter, const LiveOptions& options = {});
    // Waits up to `timeout` for a frame: true and a frame, false on timeout or
    // after breakloop(); the frame's bytes stay valid until the next call.
    Result<bool> next(Frame& frame, Duration timeout);
    // Safe from another thread or a signal handler: the next call returns false.
    void breakloop();
    // What the kernel counted since open(): frames that passed the filter,
    // and those it dropped because the ring was full or the interface did.
    Result<LiveStats> stats() const;
    wire::LinkType link() const { return link_; }
    const std::string& interface() const { return interface_; }

private:
    struct Handle;
    std::shared_ptr<Handle> handle_;
    std::string interface_;
    wire::LinkType link_{wire::LinkType::ethernet};
    bool nanoseconds_{false};  // the kernel stamps them so: ts.tv_usec holds nanoseconds
};

} // namespace teardown::capture
