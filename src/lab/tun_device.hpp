#pragma once
// The TUN device between the kernel and our engine, inside the lab's
// namespace: the kernel's side of it holds the kernel's addresses (with
// their prefix routes), and what the kernel sends to our addresses comes out
// of the descriptor as bare IP packets (IFF_NO_PI). Documentation prefixes
// only: 192.0.2.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849).
#include <cstddef>
#include <span>
#include <string>

#include "core/result.hpp"
#include "lab/network_namespace.hpp"
#include "wire/ip_address.hpp"

namespace teardown::lab {

struct LabAddresses {
    wire::IpAddress kernel_v4;  // on the TUN device, /24
    wire::IpAddress ours_v4;    // behind it: our Stack
    wire::IpAddress kernel_v6;  // on the TUN device, /64
    wire::IpAddress ours_v6;
    static LabAddresses standard();  // 192.0.2.1, 192.0.2.2, 2001:db8::1, 2001:db8::2
};

class TunDevice {
public:
    // Makes the device `name` in `ns`, sets its MTU, gives the kernel its
    // addresses (IPv6 without duplicate address detection, so it is usable at
    // once), brings it and the namespace's loopback up.
    static Result<TunDevice> open(const NetworkNamespace& ns, const std::string& name, const LabAddresses& addresses,
                                  int mtu = 1500);
    TunDevice(TunDevice&& other) noexcept : fd_{other.fd_}, name_{std::move(other.name_)}, mtu_{other.mtu_} { other.fd_ = -1; }
    TunDevice& operator=(TunDevice&&) = delete;
    ~TunDevice();

    int fd() const { return fd_; }  // non-blocking
    const std::string& name() const { return name_; }
    int mtu() const { return mtu_; }
    // One packet from the kernel into `into`: its length, 0 when none is waiting.
    Result<std::size_t> read(std::span<std::byte> into);
    // One packet to the kernel.
    Result<void> write(std::span<const std::byte> packet);

private:
    TunDevice(int fd, std::string name, int mtu) : fd_{fd}, name_{std::move(name)}, mtu_{mtu} {}
    int fd_{-1};
    std::string name_;
    int mtu_{1500};
};

} // namespace teardown::lab
