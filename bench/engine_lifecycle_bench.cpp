// Two Stacks wired back to back in memory run complete lifecycles: 3-way
// open, one request and one response, 4-way close, TIME_WAIT expiry.
// Aim (issue 3): at least 1 million lifecycles a second on one core.
#include <benchmark/benchmark.h>

#include <string_view>

#include "engine/stack.hpp"

using namespace teardown;
using namespace teardown::engine;

namespace {

void deliver(Stack& from, Stack& to, Instant now, std::vector<Segment>& scratch) {
    from.take_segments(scratch);
    for (const auto& s : scratch) to.on_segment(now, s);
}

void exchange(Stack& a, Stack& b, Instant now, std::vector<Segment>& scratch) {
    for (int i = 0; i < 64; ++i) {
        deliver(a, b, now, scratch);
        const bool a_sent = !scratch.empty();
        deliver(b, a, now, scratch);
        if (!a_sent && scratch.empty()) return;
    }
}

void BM_Lifecycle(benchmark::State& state) {
    Stack client{Config::linux()};
    Stack server{Config::linux()};
    const wire::Endpoint srv{*wire::IpAddress::parse("192.0.2.2"), 80};
    const wire::Endpoint cli{*wire::IpAddress::parse("192.0.2.1"), 0};
    Instant now = Instant::from_seconds(1);
    const auto listener = server.listen(now, srv, 1024);
    constexpr std::string_view request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    constexpr std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    std::array<std::byte, 256> buf{};
    std::vector<Segment> scratch;
    std::vector<ConnectionChange> changes;
    std::vector<std::pair<int, AppEvent>> events;
    std::int64_t lifecycles = 0;
    for (auto _ : state) {
        const auto c = client.connect(now, cli, srv);
        exchange(client, server, now, scratch);
        const auto s = server.accept(listener.fd);
        client.send(now, c.fd, std::as_bytes(std::span{request.data(), request.size()}));
        exchange(client, server, now, scratch);
        (void)server.recv(s.fd, buf);
        server.send(now, s.fd, std::as_bytes(std::span{response.data(), response.size()}));
        exchange(client, server, now, scratch);
        (void)client.recv(c.fd, buf);
        client.close(now, c.fd);  // the client closes first and holds TIME-WAIT
        exchange(client, server, now, scratch);
        server.close(now, s.fd);
        exchange(client, server, now, scratch);
        // TIME-WAIT expiry: jump virtual time past 2 MSL.
        now += Duration::seconds(61);
        client.on_timer(now);
        server.on_timer(now);
        // A real caller drains what the stacks report; so does the benchmark.
        client.take_changes(changes);
        server.take_changes(changes);
        client.take_events(events);
        server.take_events(events);
        ++lifecycles;
    }
    if (client.connections() != 0 || server.connections() != 0) state.SkipWithError("connections leaked");
    state.SetItemsProcessed(lifecycles);
}
BENCHMARK(BM_Lifecycle);

} // namespace

BENCHMARK_MAIN();
