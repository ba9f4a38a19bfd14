#pragma once
// A lab for one test: its own namespace and TUN device, our Stack running
// a plan in a thread, and the kernel's side driven by the test itself
// through real sockets made inside the namespace.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capture/capture_reader.hpp"
#include "lab/kernel_sockets.hpp"
#include "lab/lab_run.hpp"
#include "lab/lab_scenario.hpp"
#include "wire/packet.hpp"

namespace teardown::lab::testing {

// One segment that crossed the TUN device, as the capture shows it.
struct Crossed {
    bool from_kernel{false};
    wire::TcpFlags flags;
    std::size_t payload{0};
    // "kernel F", "ours R": who sent a FIN or a RST, whatever else it carried.
    std::string text() const {
        return std::string{from_kernel ? "kernel " : "ours "} + (flags.rst_set() ? "R" : flags.fin_set() ? "F" : flags.to_tcpdump());
    }
};

class Lab {
public:
    explicit Lab(bool ipv6) : ipv6_{ipv6}, addresses_{LabAddresses::standard()} {
        static std::atomic<int> counter{0};
        name_ = "tdtest-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
        pcap_ = ::testing::TempDir() + name_ + ".pcap";
    }
    ~Lab() {
        stop_.store(true);
        if (runner_.joinable()) runner_.join();
        std::remove(pcap_.c_str());
    }

    // Makes the namespace and the device (start() does it when not done yet).
    void open() {
        if (ns_) return;
        auto ns = NetworkNamespace::create(name_);
        ASSERT_TRUE(ns) << ns.error().message;
        ns_.emplace(std::move(*ns));
        auto tun = TunDevice::open(*ns_, "td0", addresses_);
        ASSERT_TRUE(tun) << tun.error().message;
        tun_.emplace(std::move(*tun));
    }

    // Starts our side on `flags`.
    void start(LabFlags flags, std::optional<ServiceKind> service = std::nullopt, std::uint16_t port = 80) {
        open();
        ASSERT_TRUE(ns_ && tun_);
        flags.ipv6 = ipv6_;
        auto sc = lab_scenario(flags, addresses_);
        ASSERT_TRUE(sc) << sc.error().message;
        plan_.scenario = std::move(*sc);
        plan_.service = service;
        plan_.port = port;
        plan_.stop_when_done = !service;
        plan_.limit = Duration::seconds(60);
        plan_.pcap = pcap_;
        runner_ = std::thread{[this] { result_.emplace(run_lab(*tun_, plan_, stop_, wind_down_)); }};
    }

    // Waits for our side to end by itself (its steps done, nothing left), or winds it down.
    const LabResult& finish(bool wind_down = false) {
        if (wind_down) wind_down_.store(true);
        runner_.join();
        EXPECT_TRUE(result_ && *result_) << (result_ && !*result_ ? result_->error().message : "no result");
        return result_->value();
    }

    const NetworkNamespace& ns() const { return *ns_; }
    const std::string& pcap() const { return pcap_; }
    wire::IpAddress ours() const { return ipv6_ ? addresses_.ours_v6 : addresses_.ours_v4; }
    wire::IpAddress kernel() const { return ipv6_ ? addresses_.kernel_v6 : addresses_.kernel_v4; }

    // A kernel socket connected to us at `port` (from `from_port` when not 0); -1 and errno on failure.
    int kernel_connect(std::uint16_t port, std::uint16_t from_port = 0) {
        auto in = InNamespace::enter(*ns_);
        if (!in) return -1;
        const int fd = socket(ipv6_ ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval tv{10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_storage local{};
        sockaddr_storage remote{};
        const socklen_t len = fill(remote, ours(), port);
        if (from_port != 0) {
            fill(local, kernel(), from_port);
            if (bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0) return -1;
        }
        if (connect(fd, reinterpret_cast<sockaddr*>(&remote), len) != 0) {
            const int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        return fd;
    }

    // A kernel listener on `port` (the kernel's address).
    int kernel_listen(std::uint16_t port) {
        auto in = InNamespace::enter(*ns_);
        if (!in) return -1;
        const int fd = socket(ipv6_ ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_storage local{};
        const socklen_t len = fill(local, kernel(), port);
        if (bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0 || listen(fd, 16) != 0) return -1;
        timeval tv{10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
    }

    // The kernel socket whose remote end is our `port`; nullopt when there is none.
    std::optional<TcpState> kernel_state(std::uint16_t our_port, std::uint16_t kernel_port = 0) const {
        const auto socks = kernel_sockets(*ns_);
        if (!socks) return std::nullopt;
        for (const auto& s : *socks)
            if (s.remote.addr == ours() && s.remote.port == our_port && (kernel_port == 0 || s.local.port == kernel_port))
                return s.state;
        return std::nullopt;
    }
    // Polls until the kernel's socket to our `port` is in `want` (nullopt: gone); whether it got there.
    bool wait_kernel_state(std::uint16_t our_port, std::optional<TcpState> want, int millis = 5000) const {
        for (int i = 0; i < millis / 5; ++i) {
            if (kernel_state(our_port) == want) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

    // The TCP segments that crossed, from the run's capture.
    std::vector<Crossed> crossed() const {
        std::vector<Crossed> out;
        auto reader = capture::CaptureReader::open(pcap_);
        EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
        if (!reader) return out;
        capture::Frame f;
        for (;;) {
            auto more = reader->next(f);
            if (!more || !*more) break;
            auto d = wire::decode(f.link, f.data, f.orig_len);
            if (!d || !d->is_tcp()) continue;
            out.push_back({d->dst() == ours(), d->tcp->flags(), d->tcp->payload_length()});
        }
        return out;
    }
    // Only the FINs and RSTs, in order: "kernel F", "ours R".
    std::vector<std::string> closing() const {
        std::vector<std::string> out;
        for (const auto& c : crossed())
            if (c.flags.fin_set() || c.flags.rst_set()) out.push_back(c.text());
        return out;
    }

    // The same with a retransmission folded into the segment before it: the
    // kernel's tail loss probe (RFC 8985 §7) may send its FIN again within
    // milliseconds, before our ACK of it crossed.
    std::vector<std::string> closing_once() const {
        auto all = closing();
        all.erase(std::unique(all.begin(), all.end()), all.end());
        return all;
    }

private:
    socklen_t fill(sockaddr_storage& ss, const wire::IpAddress& a, std::uint16_t port) const {
        if (a.is_v4()) {
            auto* s = reinterpret_cast<sockaddr_in*>(&ss);
            s->sin_family = AF_INET;
            s->sin_port = htons(port);
            std::memcpy(&s->sin_addr, a.bytes().data(), 4);
            return sizeof(sockaddr_in);
        }
        auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        std::memcpy(&s->sin6_addr, a.bytes().data(), 16);
        return sizeof(sockaddr_in6);
    }

    bool ipv6_;
    LabAddresses addresses_;
    std::string name_;
    std::string pcap_;
    std::optional<NetworkNamespace> ns_;
    std::optional<TunDevice> tun_;
    LabPlan plan_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> wind_down_{false};
    std::thread runner_;
    std::optional<Result<LabResult>> result_;
};

// Our side's path through the states, from the run: "ESTABLISHED->FIN_WAIT_1 (app_close)", ...
inline std::vector<std::string> our_changes(const sim::Run& run) {
    std::vector<std::string> out;
    for (const auto& e : run.trace)
        if (e.kind == sim::TraceEntry::Kind::change && e.tuple.remote.port != 0)
            out.push_back(std::string{to_string(e.change.to)} + " (" + std::string{to_string(e.change.cause)} + ")");
    return out;
}

inline bool went_through(const sim::Run& run, TcpState s) {
    for (const auto& e : run.trace)
        if (e.kind == sim::TraceEntry::Kind::change && e.change.to == s) return true;
    return false;
}

inline bool has_cause(const sim::Run& run, Cause c) {
    for (const auto& e : run.trace)
        if (e.kind == sim::TraceEntry::Kind::change && e.change.cause == c) return true;
    return false;
}

} // namespace teardown::lab::testing
