// What watching costs: loopback connections per second (connect, accept,
// close both ends) in a namespace of the benchmark's own, without and then
// with the monitor (eBPF, default ring buffer) running, in the same run,
// and the events received against those produced: every connection must
// come back as two records (one per end) with no event lost.
//
//   build/release/bench/watch_overhead_bench [CONNECTIONS]   (as root)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "lab/network_namespace.hpp"
#include "support/loopback.hpp"
#include "watch/monitor.hpp"

using namespace teardown;

namespace {

double rate(int n, std::uint16_t port) {
    const int l = test::listen_on_loopback(port, 1024);
    if (l < 0) return 0;
    const sockaddr_in at = test::loopback(port);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) return 0;
        const int s = accept(l, nullptr, nullptr);
        close(c);  // the client closes first: TIME_WAIT on the client's side
        char b;
        (void)recv(s, &b, 1, 0);
        close(s);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    close(l);
    return n / secs;
}

} // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
    auto ns = lab::NetworkNamespace::create("teardown-watch-bench-" + std::to_string(getpid()));
    if (!ns || !lab::loopback_up(*ns)) {
        std::fprintf(stderr, "watch_overhead_bench: %s\n", ns ? "loopback" : ns.error().message.c_str());
        return 2;
    }
    auto inside = lab::InNamespace::enter(*ns);
    if (!inside) return 2;
    // Time-wait sockets pile up at this rate: let the kernel reuse their ports.
    (void)rate(n / 10, 20000);  // warm up
    const double without = rate(n, 20001);

    std::atomic<std::uint64_t> records{0};
    std::atomic<bool> stop{false};
    watch::WatchOptions o;
    o.source = watch::WatchOptions::Source::bpf;
    o.netns = ns->path();
    std::unique_ptr<watch::Monitor> monitor;
    std::atomic<bool> ready{false};
    std::string error;
    std::thread runner{[&] {
        auto m = watch::Monitor::start(o, [&](const watch::WatchRecord&) { records.fetch_add(1); }, [](const watch::Alert&) {},
                                       [](const std::string&) {});
        if (!m) {
            error = m.error().message;
            ready.store(true);
            return;
        }
        monitor = std::move(*m);
        ready.store(true);
        (void)monitor->run(stop);
    }};
    while (!ready.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!error.empty()) {
        std::fprintf(stderr, "watch_overhead_bench: %s\n", error.c_str());
        runner.join();
        return 2;
    }
    const double with = rate(n, 20002);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the last records settle
    const auto m = monitor->metrics();
    stop.store(true);
    runner.join();
    std::printf("loopback connections/s (connect, accept, close both ends), %d each:\n", n);
    std::printf("  without the monitor   %10.0f\n", without);
    std::printf("  with the monitor      %10.0f\n", with);
    std::printf("  ratio with/without    %10.3f   (aim: >= 0.95)\n", with / without);
    std::printf("events received %llu, lost %llu; records %llu of %d expected (two ends a connection)\n",
                static_cast<unsigned long long>(m.events), static_cast<unsigned long long>(m.events_lost),
                static_cast<unsigned long long>(records.load()), 2 * n);
    return m.events_lost == 0 && records.load() >= static_cast<std::uint64_t>(2 * n) ? 0 : 1;
}
