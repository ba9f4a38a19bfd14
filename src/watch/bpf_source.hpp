#pragma once
// The eBPF source: loads tcp_lifecycle.bpf.c (CO-RE, through its libbpf
// skeleton), attaches its tp_btf programs (no tracefs needed) and turns
// ring-buffer records into KernelEvents. The ring buffer's drops are
// counted by the BPF side and read here, so a lost event is never silent.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "watch/kernel_event.hpp"

namespace teardown::watch {

struct BpfOptions {
    std::uint32_t netns{0};                 // only this namespace (its inode); 0: all
    std::uint32_t ring_bytes{4u << 20};     // a power of two
};

class BpfSource {
public:
    static Result<std::unique_ptr<BpfSource>> open(const BpfOptions& options);
    ~BpfSource();
    BpfSource(const BpfSource&) = delete;
    BpfSource& operator=(const BpfSource&) = delete;

    // Waits up to `timeout_ms` and hands over every event that came; how many.
    Result<std::size_t> poll(int timeout_ms, const std::function<void(const KernelEvent&)>& sink);
    // Events the kernel side could not queue (the ring buffer was full).
    std::uint64_t lost() const;
    // The name of a reset reason (enum sk_rst_reason of this kernel's BTF), e.g. "no_socket".
    std::string reset_reason_name(std::uint32_t reason) const;

private:
    BpfSource() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace teardown::watch
