// Connections per second from a kernel client to our HTTP responder over the
// TUN device, against the same client to a kernel server in the same
// namespace, in the same run: connect, one request, one response
// (Connection: close, so the server closes first), close. Prints both rates
// and their ratio; the aim is at least half the kernel's rate.
//
//   build/release/bench/lab_connect_bench [CONNECTIONS]   (as root)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "lab/lab_run.hpp"
#include "lab/lab_scenario.hpp"

using namespace teardown;
using namespace teardown::lab;

namespace {

const char k_request[] = "GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n";

sockaddr_in address(const wire::IpAddress& a, std::uint16_t port) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    std::memcpy(&s.sin_addr, a.bytes().data(), 4);
    return s;
}

// One whole exchange as a client; false on any error.
bool exchange(const sockaddr_in& to) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
              send(fd, k_request, sizeof k_request - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof k_request - 1);
    char buf[4096];
    ssize_t got = 0;
    for (ssize_t n; ok && (n = recv(fd, buf, sizeof buf, 0)) != 0;) {
        if (n < 0) ok = false;
        else got += n;
    }
    close(fd);
    return ok && got > 0;
}

double rate(const sockaddr_in& to, int n, int& failed) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
        if (!exchange(to)) ++failed;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return n / s;
}

// The kernel's own server: the same exchange, answered by the kernel's TCP.
void kernel_server(int listener, std::atomic<bool>& stop) {
    const std::string body = "teardown lab: GET / answered by the kernel\n";
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body;
    while (!stop.load()) {
        const int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) continue;
        std::string in;
        char buf[4096];
        while (in.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            in.append(buf, static_cast<std::size_t>(n));
        }
        (void)send(fd, response.data(), response.size(), MSG_NOSIGNAL);
        close(fd);
    }
}

} // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
    const auto addrs = LabAddresses::standard();
    auto ns = NetworkNamespace::create("teardown-bench-" + std::to_string(getpid()));
    if (!ns) {
        std::fprintf(stderr, "lab_connect_bench: %s\n", ns.error().message.c_str());
        return 2;
    }
    auto tun = TunDevice::open(*ns, "td0", addrs);
    if (!tun) {
        std::fprintf(stderr, "lab_connect_bench: %s\n", tun.error().message.c_str());
        return 2;
    }
    LabFlags flags;
    auto sc = lab_scenario(flags, addrs);
    if (!sc) return 2;
    LabPlan plan;
    plan.scenario = std::move(*sc);
    plan.service = ServiceKind::http;
    plan.port = 80;
    plan.stop_when_done = false;
    plan.limit = Duration::zero();
    plan.trace = false;
    std::atomic<bool> stop{false};
    std::atomic<bool> wind_down{false};
    std::thread ours{[&] {
        auto r = run_lab(*tun, plan, stop, wind_down);
        if (!r) std::fprintf(stderr, "lab_connect_bench: %s\n", r.error().message.c_str());
    }};

    auto inside = InNamespace::enter(*ns);
    if (!inside) return 2;
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    timeval tv{0, 200'000};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const sockaddr_in kernel_at = address(addrs.kernel_v4, 8080);
    if (bind(listener, reinterpret_cast<const sockaddr*>(&kernel_at), sizeof kernel_at) != 0 || listen(listener, 1024) != 0) {
        std::perror("lab_connect_bench: kernel listener");
        return 2;
    }
    std::thread kernel{[&] { kernel_server(listener, stop); }};

    const sockaddr_in ours_at = address(addrs.ours_v4, 80);
    int failed = 0;
    (void)rate(ours_at, n / 10, failed);  // warm both paths up
    (void)rate(kernel_at, n / 10, failed);
    failed = 0;
    const double via_tun = rate(ours_at, n, failed);
    const double kernel_rate = rate(kernel_at, n, failed);
    stop.store(true);
    kernel.join();
    ours.join();
    close(listener);
    std::printf("connections/s, kernel client, connect + request + response + close, %d each:\n", n);
    std::printf("  teardown server over TUN   %10.0f\n", via_tun);
    std::printf("  kernel server (same netns) %10.0f\n", kernel_rate);
    std::printf("  ratio teardown/kernel      %10.2f   (aim: >= 0.50)\n", via_tun / kernel_rate);
    std::printf("  failed exchanges           %10d\n", failed);
    return failed == 0 ? 0 : 1;
}
