// What TIME-WAIT and an idle connection cost: heap bytes per TIME-WAIT
// entry and per established endpoint (no data queued), measured as the
// growth of the heap (glibc's mallinfo2) while a million of the one and a
// hundred thousand of the other are made, and the time to expire a million
// TIME-WAIT entries in one timer call. Linux's figures from this machine's
// /proc/slabinfo (tw_sock_TCP, TCP) are printed beside ours when readable.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/stack.hpp"

using namespace teardown;
using namespace teardown::engine;

namespace {

constexpr int k_server_ports = 18;  // 18 x 64512 ephemeral ports: over a million 4-tuples

// Bytes the program holds from malloc: small chunks and mmap-ed large ones.
std::size_t heap_in_use() {
    const auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

// The object size of a slab cache, or 0 when /proc/slabinfo cannot be read (not root).
double linux_slab_object_size(const std::string& cache) {
    std::ifstream in("/proc/slabinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        std::size_t active = 0, total = 0, objsize = 0;
        if (fields >> name >> active >> total >> objsize && name == cache) return static_cast<double>(objsize);
    }
    return 0;
}

Config wide_ports(Config c) {
    c.ephemeral_first = 1024;
    c.ephemeral_last = 65535;
    c.max_time_wait = 1u << 22;  // above the linux profile's 131072
    return c;
}

struct Pair {
    Stack client{wide_ports(Config::linux())};
    Stack server{Config::linux()};
    Instant now{Instant::from_seconds(1)};
    std::vector<Segment> scratch;
    std::vector<int> listeners;
    const wire::IpAddress server_ip = *wire::IpAddress::parse("192.0.2.2");
    const wire::Endpoint client_any{*wire::IpAddress::parse("192.0.2.1"), 0};

    Pair() {
        for (int p = 0; p < k_server_ports; ++p)
            listeners.push_back(server.listen(now, {server_ip, static_cast<std::uint16_t>(8000 + p)}, 4096).fd);
    }
    void deliver(Stack& from, Stack& to) {
        from.take_segments(scratch);
        for (const auto& s : scratch) to.on_segment(now, s);
    }
    void exchange() {
        for (int i = 0; i < 64; ++i) {
            deliver(client, server);
            const bool sent = !scratch.empty();
            deliver(server, client);
            if (!sent && scratch.empty()) return;
        }
    }
    // Opens a connection to server port `p`, and returns both descriptors.
    std::pair<int, int> open(int p) {
        const auto c = client.connect(now, client_any, {server_ip, static_cast<std::uint16_t>(8000 + p)});
        exchange();
        return {c.fd, server.accept(listeners[static_cast<std::size_t>(p)]).fd};
    }
    void drain() {
        client.take_changes();
        server.take_changes();
        client.take_events();
        server.take_events();
    }
};

void BM_MillionTimeWaitEntries(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        Pair net;
        const std::size_t before = heap_in_use();
        for (std::size_t i = 0; i < n; ++i) {
            const auto [c, s] = net.open(static_cast<int>(i % k_server_ports));
            net.client.close(net.now, c);  // the client closes first and keeps TIME-WAIT
            net.exchange();
            net.server.close(net.now, s);
            net.exchange();
            if (i % 4096 == 0) net.drain();
        }
        net.drain();
        if (net.client.time_wait_entries() != n) {
            state.SkipWithError(("TIME-WAIT entries: " + std::to_string(net.client.time_wait_entries())).c_str());
            return;
        }
        const std::size_t grown = heap_in_use() - before;
        state.counters["tw_heap_bytes_per_entry"] = static_cast<double>(grown) / static_cast<double>(n);
        state.counters["tw_table_bytes_per_entry"] =
            static_cast<double>(net.client.time_wait_bytes()) / static_cast<double>(n);
        state.counters["tw_entry_bytes"] = sizeof(TimeWait);
        state.counters["linux_tw_sock_TCP_bytes"] = linux_slab_object_size("tw_sock_TCP");
        state.counters["tw_table_MiB"] = static_cast<double>(net.client.time_wait_bytes()) / (1024.0 * 1024.0);
        net.now += Duration::seconds(61);
        state.ResumeTiming();
        const auto t0 = std::chrono::steady_clock::now();
        net.client.on_timer(net.now);
        const auto t1 = std::chrono::steady_clock::now();
        state.PauseTiming();
        state.counters["expire_all_ms"] = std::chrono::duration<double, std::milli>(t1 - t0).count();
        state.counters["expire_ns_per_entry"] =
            std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n);
        if (net.client.time_wait_entries() != 0) {
            state.SkipWithError("TIME-WAIT entries left after expiry");
            return;
        }
        state.ResumeTiming();
    }
}
BENCHMARK(BM_MillionTimeWaitEntries)->Arg(1 << 20)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_EstablishedEndpoints(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        Pair net;
        // Warm the Stack's own vectors so that their growth is not charged to the endpoints.
        net.open(0);
        net.drain();
        const std::size_t before = heap_in_use();
        for (std::size_t i = 0; i < n; ++i) net.open(static_cast<int>(i % k_server_ports));
        net.drain();
        const std::size_t grown = heap_in_use() - before;
        // Each connection is two endpoints, one in each Stack.
        state.counters["endpoint_heap_bytes"] = static_cast<double>(grown) / static_cast<double>(2 * n);
        state.counters["tcb_bytes"] = sizeof(Tcb);
        state.counters["linux_TCP_sock_bytes"] = linux_slab_object_size("TCP");
        state.ResumeTiming();
    }
}
BENCHMARK(BM_EstablishedEndpoints)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
