// The packet path of `teardown analyze` and `dump`: an mmap'd pcap of 64-byte
// Ethernet/IPv4/TCP frames (with options), read frame by frame, decoded, the
// options walked. Aim (issue 2): >= 50 million packets a second on one core.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "capture/capture_reader.hpp"
#include "capture/pcap_writer.hpp"
#include "wire/frame_builder.hpp"
#include "wire/packet.hpp"

using namespace teardown;

namespace {

constexpr std::size_t k_frames = 1'000'000;

// 14 Ethernet + 20 IPv4 + 28 TCP (MSS and window scale) + 2 payload = 64 bytes.
std::string make_capture() {
    const auto path = (std::filesystem::temp_directory_path() / "teardown-bench-64.pcap").string();
    if (std::filesystem::exists(path)) return path;
    auto w = capture::PcapWriter::create(path, wire::LinkType::ethernet);
    std::vector<std::byte> frame;
    std::vector<std::byte> payload(2, std::byte{'x'});
    for (std::size_t i = 0; i < k_frames; ++i) {
        wire::FrameSpec s;
        s.src = wire::IpAddress::v4(0xC0000200u + (i & 0xFF));
        s.dst = *wire::IpAddress::parse("192.0.2.250");
        s.tcp.src_port = static_cast<std::uint16_t>(1024 + (i % 60000));
        s.tcp.dst_port = 80;
        s.tcp.seq = SeqNum{static_cast<std::uint32_t>(i * 7)};
        s.tcp.ack = SeqNum{static_cast<std::uint32_t>(i * 3)};
        s.tcp.flags = wire::TcpFlags{static_cast<std::uint8_t>(i % 5 == 0 ? 0x11 : 0x18)};
        s.tcp.window = 502;
        s.tcp.options.mss = 1460;
        s.tcp.options.window_scale = 7;
        s.payload = payload;
        frame.clear();
        (void)wire::build_frame(s, frame);
        (void)w->write(Instant::from_nanos(static_cast<std::int64_t>(i) * 1000), frame);
    }
    (void)w->close();
    return path;
}

void BM_ParsePcapEthernetIpv4Tcp(benchmark::State& state) {
    const auto path = make_capture();
    std::uint64_t packets = 0, fins = 0, option_bytes = 0;
    for (auto _ : state) {
        auto reader = capture::CaptureReader::open(path);
        if (!reader) {
            state.SkipWithError(reader.error().message.c_str());
            return;
        }
        capture::Frame f;
        wire::DecodedPacket d;
        while (true) {
            auto more = reader->next(f);
            if (!more || !*more) break;
            if (wire::decode_into(f.link, f.data, f.orig_len, d) || !d.is_tcp()) continue;
            fins += d.tcp->flags().fin_set();
            auto it = d.tcp->option_iterator();
            wire::TcpOptionView o;
            while (it.next(o)) option_bytes += o.data.size() + 1;
            ++packets;
        }
    }
    benchmark::DoNotOptimize(fins);
    benchmark::DoNotOptimize(option_bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(packets));
    state.counters["frame_bytes"] = 64;
}
BENCHMARK(BM_ParsePcapEthernetIpv4Tcp)->Unit(benchmark::kMillisecond);

// The reader alone: how much of the path is walking the file.
void BM_ReadPcapOnly(benchmark::State& state) {
    const auto path = make_capture();
    std::uint64_t packets = 0, bytes = 0;
    for (auto _ : state) {
        auto reader = capture::CaptureReader::open(path);
        capture::Frame f;
        while (true) {
            auto more = reader->next(f);
            if (!more || !*more) break;
            bytes += f.data.size();
            ++packets;
        }
    }
    benchmark::DoNotOptimize(bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(packets));
}
BENCHMARK(BM_ReadPcapOnly)->Unit(benchmark::kMillisecond);

// The decoder alone, on one frame held in cache.
void BM_DecodeOnly(benchmark::State& state) {
    std::vector<std::byte> frame;
    wire::FrameSpec s;
    s.src = *wire::IpAddress::parse("192.0.2.1");
    s.dst = *wire::IpAddress::parse("192.0.2.2");
    s.tcp.flags = wire::TcpFlags{0x18};
    s.tcp.options.mss = 1460;
    s.tcp.options.window_scale = 7;
    std::vector<std::byte> payload(2);
    s.payload = payload;
    (void)wire::build_frame(s, frame);
    std::uint64_t n = 0;
    wire::DecodedPacket d;
    for (auto _ : state) {
        if (!wire::decode_into(wire::LinkType::ethernet, frame, 64, d)) n += d.tcp->window();
    }
    benchmark::DoNotOptimize(n);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeOnly);

void BM_TcpChecksum1460(benchmark::State& state) {
    std::vector<std::byte> segment(1480, std::byte{0x5a});
    const auto src = *wire::IpAddress::parse("192.0.2.1");
    const auto dst = *wire::IpAddress::parse("192.0.2.2");
    for (auto _ : state) benchmark::DoNotOptimize(wire::tcp_checksum_valid(segment, src, dst));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1480);
}
BENCHMARK(BM_TcpChecksum1460);

} // namespace

BENCHMARK_MAIN();
