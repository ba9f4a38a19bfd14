// Where `teardown analyze` spends its time, stage by stage, in one process
// so that the stages are compared on the same machine in the same minute
// (a noisy VM's runs differ by half from one minute to the next): reading
// the capture's frames; reading them into flow keys and segments; the flow
// table and its trackers, records made and dropped; and records summed up
// and written in each format (CSV, the table, JSON, conn.log), as the CLI
// does. Each stage includes the ones before it, so their differences are
// each stage's cost.
//   build/release/bench/make_capture /tmp/bench.pcap
//   build/release/bench/analyze_stages_bench /tmp/bench.pcap [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "analyze/analyzer.hpp"
#include "analyze/quick_frame.hpp"
#include "capture/capture_reader.hpp"
#include "report/connection_report.hpp"

using namespace teardown;

namespace {

std::string g_capture;

capture::CaptureReader open_capture(benchmark::State& state) {
    auto r = capture::CaptureReader::open(g_capture);
    if (!r) {
        state.SkipWithError(r.error().message.c_str());
        std::exit(1);
    }
    return std::move(*r);
}

bool more(capture::CaptureReader& reader, capture::Frame& f) {
    auto r = reader.next(f);
    return r && *r;
}

// Every frame of the capture to `each`; their count.
template <typename Each>
std::uint64_t over_capture(benchmark::State& state, const Each& each) {
    auto reader = open_capture(state);
    capture::Frame f;
    std::uint64_t frames = 0;
    while (more(reader, f)) {
        each(f);
        ++frames;
    }
    return frames;
}

void count_packets(benchmark::State& state, std::uint64_t frames) {
    state.counters["packets_per_s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

// Once an iteration, every frame through a new analyzer whose records go
// to `sink`; then `after`.
template <typename After>
void analyze_capture(benchmark::State& state, const analyze::Analyzer::Sink& sink, const After& after) {
    std::uint64_t frames = 0;
    for (auto _ : state) {
        analyze::Analyzer a{{}, sink};
        frames += over_capture(state, [&](const capture::Frame& f) { a.on_captured(f.ts, f.link, f.data, f.orig_len); });
        a.finish();
        after();
    }
    count_packets(state, frames);
}

void BM_read_frames(benchmark::State& state) {
    std::uint64_t bytes = 0, frames = 0;
    for (auto _ : state)
        frames += over_capture(state, [&](const capture::Frame& f) { bytes += f.data.size() + std::to_integer<unsigned>(f.data[0]); });
    count_packets(state, frames);
    benchmark::DoNotOptimize(bytes);
}

void BM_read_segments(benchmark::State& state) {
    std::uint64_t seen = 0, frames = 0;
    for (auto _ : state)
        frames += over_capture(state, [&](const capture::Frame& f) {
            analyze::FlowKey key;
            analyze::CapturedSegment s;
            if (analyze::quick_segment(f.ts, f.link, f.data, f.orig_len, key, s)) seen += s.seq.raw() ^ key.lo_port;
        });
    count_packets(state, frames);
    benchmark::DoNotOptimize(seen);
}

void BM_track_connections(benchmark::State& state) {
    std::uint64_t records = 0;
    analyze_capture(state, [&](analyze::ConnectionRecord&& r) { records += r.id; }, [] {});
    benchmark::DoNotOptimize(records);
}

void BM_write(benchmark::State& state, report::RecordFormat format) {
    std::uint64_t written = 0;
    report::Summary summary;
    std::string lines;
    const auto write = [&](analyze::ConnectionRecord&& r) {
        summary.add(r);
        report::append_record(lines, format, r);
        lines += '\n';
        if (lines.size() >= 256 * 1024) {
            written += lines.size();
            lines.clear();
        }
    };
    analyze_capture(state, write, [&] {
        written += lines.size();
        lines.clear();
        summary = {};
    });
    benchmark::DoNotOptimize(written);
}

} // namespace

BENCHMARK(BM_read_frames)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_read_segments)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_track_connections)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_write, csv, report::RecordFormat::csv)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_write, table, report::RecordFormat::table)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_write, json, report::RecordFormat::json)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_write, zeek, report::RecordFormat::zeek)->Unit(benchmark::kMillisecond)->Iterations(1);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: analyze_stages_bench CAPTURE [benchmark flags]\n");
        return 2;
    }
    g_capture = argv[1];
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
