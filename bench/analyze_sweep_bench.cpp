// What a long capture costs the analyzer's clock: a table of many open
// connections (their handshakes at the start), then an hour of capture time
// in which a few of them send a keep-alive every 10 ms. Every ten seconds of
// capture time the analyzer sweeps for connections that are over; it reads
// only the chunks of its table where one may be, so the hour costs about
// what its packets cost, however large the table. Per packet, and the
// sweeps' share of it against the same packets with a table of one.
//   build/release/bench/analyze_sweep_bench
#include <benchmark/benchmark.h>

#include "analyze/analyzer.hpp"

using namespace teardown;
using namespace teardown::analyze;

namespace {

TcpPacket packet(int connection, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::int64_t us) {
    TcpPacket p;
    p.ts = Instant::from_seconds(1'000) + Duration::micros(us);
    const bool from_client = flags != (wire::TcpFlags::syn | wire::TcpFlags::ack);
    // 198.18.0.0/15, the benchmarking range (RFC 2544): 256 ports an address.
    const auto c = static_cast<std::uint32_t>(connection);
    const wire::Endpoint client{wire::IpAddress::v4(0xC6120000u | (c >> 8)), static_cast<std::uint16_t>(1024 + (c & 0xFF))};
    const wire::Endpoint server{wire::IpAddress::v4(0xC613FF01u), 80};
    p.src = from_client ? client : server;
    p.dst = from_client ? server : client;
    p.flags = wire::TcpFlags{flags};
    p.seq = SeqNum{seq};
    p.ack = SeqNum{ack};
    p.window = 64240;
    return p;
}

// range(0): connections open through the hour.
void BM_hour_of_keepalives(benchmark::State& state) {
    const int open = static_cast<int>(state.range(0));
    constexpr std::int64_t k_hour_us = 3'600'000'000, k_every_us = 10'000;
    std::uint64_t packets = 0;
    for (auto _ : state) {
        state.PauseTiming();
        AnalyzerLimits limits;
        limits.idle = Duration::seconds(7200);  // nobody goes idle within the hour
        std::uint64_t reported = 0;
        Analyzer a{limits, [&](ConnectionRecord&&) { ++reported; }};
        using F = wire::TcpFlags;
        for (int c = 0; c < open; ++c) {
            a.on_packet(packet(c, F::syn, 100, 0, 0));
            a.on_packet(packet(c, F::syn | F::ack, 500, 101, 1));
            a.on_packet(packet(c, F::ack, 101, 501, 2));
        }
        state.ResumeTiming();
        for (std::int64_t us = k_every_us, i = 0; us <= k_hour_us; us += k_every_us, ++i) {
            a.on_packet(packet(static_cast<int>(i % 16) % open, F::ack, 100, 501, us));
            ++packets;
        }
        benchmark::DoNotOptimize(reported);
    }
    state.counters["packets_per_s"] = benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_hour_of_keepalives)->Arg(1)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

} // namespace

BENCHMARK_MAIN();
