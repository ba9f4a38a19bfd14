#include "lab/tun_device.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace teardown::lab {

namespace {

std::string os_error(int e) { return std::strerror(e); }

wire::IpAddress parse(const char* text) { return *wire::IpAddress::parse(text); }

// ioctl on a socket of `family` made inside the namespace.
Result<void> interface_ioctl(int family, unsigned long request, void* arg, const std::string& what) {
    const int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return Error::io(what + ": socket: " + os_error(errno));
    const int r = ioctl(s, request, arg);
    const int e = errno;
    close(s);
    if (r != 0) return Error::io(what + ": " + os_error(e));
    return {};
}

Result<void> bring_up(const std::string& ifname) {
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
    if (auto r = interface_ioctl(AF_INET, SIOCGIFFLAGS, &ifr, ifname + ": SIOCGIFFLAGS"); !r) return r;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    return interface_ioctl(AF_INET, SIOCSIFFLAGS, &ifr, ifname + ": bringing it up");
}

Result<void> write_sysctl(const std::string& path, const char* value) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Error::io(path + ": " + os_error(errno));
    const auto n = ::write(fd, value, std::strlen(value));
    const int e = errno;
    close(fd);
    if (n < 0) return Error::io(path + ": " + os_error(e));
    return {};
}

Result<void> add_v4(const std::string& ifname, const wire::IpAddress& a, int prefix) {
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname.c_str());
    auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, a.bytes().data(), 4);
    if (auto r = interface_ioctl(AF_INET, SIOCSIFADDR, &ifr, ifname + ": address " + a.to_string()); !r) return r;
    sin->sin_addr.s_addr = htonl(prefix == 0 ? 0 : ~0u << (32 - prefix));
    return interface_ioctl(AF_INET, SIOCSIFNETMASK, &ifr, ifname + ": netmask");
}

Result<void> add_v6(const std::string& ifname, const wire::IpAddress& a, int prefix) {
    // struct in6_ifreq of <linux/ipv6.h>, which clashes with glibc's headers.
    struct {
        in6_addr addr;
        std::uint32_t prefixlen;
        int ifindex;
    } req{};
    std::memcpy(&req.addr, a.bytes().data(), 16);
    req.prefixlen = static_cast<std::uint32_t>(prefix);
    req.ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    return interface_ioctl(AF_INET6, SIOCSIFADDR, &req, ifname + ": address " + a.to_string());
}

// The kernel may hold a new IPv6 address tentative for a moment even without
// DAD; bind(2) says EADDRNOTAVAIL until it is usable.
Result<void> wait_usable(const wire::IpAddress& a) {
    for (int i = 0; i < 400; ++i) {
        const int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return Error::io(std::string{"socket: "} + os_error(errno));
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        std::memcpy(&sin6.sin6_addr, a.bytes().data(), 16);
        const int r = bind(s, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
        const int e = errno;
        close(s);
        if (r == 0) return {};
        if (e != EADDRNOTAVAIL) return Error::io(a.to_string() + ": bind: " + os_error(e));
        usleep(5000);
    }
    return Error::io(a.to_string() + ": still not usable after 2 s");
}

} // namespace

Result<void> loopback_up(const NetworkNamespace& ns) {
    auto inside = InNamespace::enter(ns);
    if (!inside) return inside.error();
    return bring_up("lo");
}

LabAddresses LabAddresses::standard() {
    return {parse("192.0.2.1"), parse("192.0.2.2"), parse("2001:db8::1"), parse("2001:db8::2")};
}

Result<TunDevice> TunDevice::open(const NetworkNamespace& ns, const std::string& name, const LabAddresses& addresses,
                                  int mtu) {
    if (name.empty() || name.size() >= IFNAMSIZ) return Error::bad_value("TUN device name '" + name + "': 1 to 15 characters");
    auto inside = InNamespace::enter(ns);
    if (!inside) return inside.error();
    // Opened inside the namespace: the device is made in the opener's namespace.
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
            return Error::io("/dev/net/tun: " + os_error(errno) + " (no TUN support: `modprobe tun`, or mknod /dev/net/tun c 10 200)");
        return Error::io("/dev/net/tun: " + os_error(errno));
    }
    TunDevice dev{fd, name, mtu};
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) return Error::io(name + ": TUNSETIFF: " + os_error(errno));
    ifreq m{};
    std::snprintf(m.ifr_name, IFNAMSIZ, "%s", name.c_str());
    m.ifr_mtu = mtu;
    if (auto r = interface_ioctl(AF_INET, SIOCSIFMTU, &m, name + ": MTU " + std::to_string(mtu)); !r) return r.error();
    // RFC 4862 §5.4's duplicate address detection would hold the address
    // tentative for a second; nobody else is on this link.
    if (auto r = write_sysctl("/proc/sys/net/ipv6/conf/" + name + "/accept_dad", "0"); !r) return r.error();
    if (auto r = bring_up("lo"); !r) return r.error();
    if (auto r = bring_up(name); !r) return r.error();
    if (auto r = add_v4(name, addresses.kernel_v4, 24); !r) return r.error();
    if (auto r = add_v6(name, addresses.kernel_v6, 64); !r) return r.error();
    if (auto r = wait_usable(addresses.kernel_v6); !r) return r.error();
    return dev;
}

TunDevice::~TunDevice() {
    if (fd_ >= 0) close(fd_);
}

Result<std::size_t> TunDevice::read(std::span<std::byte> into) {
    const auto n = ::read(fd_, into.data(), into.size());
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return std::size_t{0};
        return Error::io(name_ + ": read: " + os_error(errno));
    }
    return static_cast<std::size_t>(n);
}

Result<void> TunDevice::write(std::span<const std::byte> packet) {
    const auto n = ::write(fd_, packet.data(), packet.size());
    if (n < 0) {
        // A full queue drops the packet, as a link would; TCP recovers.
        if (errno == EAGAIN || errno == ENOBUFS) return {};
        return Error::io(name_ + ": write: " + os_error(errno));
    }
    return {};
}

} // namespace teardown::lab
