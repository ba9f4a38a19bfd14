// Writes a large capture for the analyzer's benchmark: N packets of short
// connections, each one of the seed's situations (every kind of ending:
// 4-way, 3-way and simultaneous closes, half-close, refusal, resets, a lost
// last ACK, a peer that vanishes, RST after FIN), on its own 4-tuple in the
// benchmarking range 198.18.0.0/15 (RFC 2544), started 20 us apart so that
// hundreds are open at once, in time order as a capture would hold them.
//   make_capture FILE [PACKETS]    (default 5 000 000)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "capture/pcap_writer.hpp"
#include "sim/seed_situations.hpp"
#include "wire/frame_builder.hpp"

using namespace teardown;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: make_capture FILE [PACKETS]\n");
        return 2;
    }
    const std::uint64_t want = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 5'000'000;
    const auto situations = sim::seed_situations(sim::AddressFamily::v4, Instant::from_seconds(0));
    struct Template {
        std::vector<sim::WireSegment> segments;
        Instant origin;
    };
    std::vector<Template> templates;
    for (const auto& s : situations) templates.push_back({s.conversation.segments(), s.conversation.segments().front().at});
    // Which connection and which of its segments each packet is, in time order.
    struct Slot {
        std::int64_t ns;
        std::uint32_t conn;
        std::uint16_t seg;
    };
    std::vector<Slot> slots;
    slots.reserve(want + 16);
    for (std::uint32_t c = 0; slots.size() < want; ++c) {
        const Template& t = templates[c % templates.size()];
        for (std::uint16_t i = 0; i < t.segments.size() && slots.size() < want; ++i)
            slots.push_back({std::int64_t{c} * 20'000 + (t.segments[i].at - t.origin).count_nanos(), c, i});
    }
    std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.ns != b.ns ? a.ns < b.ns : a.conn < b.conn; });
    auto writer = capture::PcapWriter::create(argv[1], wire::LinkType::ethernet);
    if (!writer) {
        std::fprintf(stderr, "make_capture: %s\n", writer.error().message.c_str());
        return 1;
    }
    const Instant base = Instant::from_seconds(1'767'225'600);
    std::vector<std::byte> frame;
    for (const Slot& s : slots) {
        const Template& t = templates[s.conn % templates.size()];
        const sim::WireSegment& w = t.segments[s.seg];
        const std::uint32_t k = s.conn / static_cast<std::uint32_t>(templates.size());
        const std::array<std::uint8_t, 4> client{198, static_cast<std::uint8_t>(18 + (k >> 24 & 1)), static_cast<std::uint8_t>(k >> 16),
                                                 static_cast<std::uint8_t>(k >> 8)};
        const std::array<std::uint8_t, 4> server{198, 19, 255, static_cast<std::uint8_t>(1 + s.conn % templates.size())};
        const auto c_ip = wire::IpAddress::v4(reinterpret_cast<const std::byte*>(client.data()));
        const auto s_ip = wire::IpAddress::v4(reinterpret_cast<const std::byte*>(server.data()));
        const std::uint16_t c_port = static_cast<std::uint16_t>(1024 + (k & 0xFF) * 200 + s.conn % 200);
        wire::FrameSpec spec;
        const bool from_client = w.from == Side::client;
        spec.src = from_client ? c_ip : s_ip;
        spec.dst = from_client ? s_ip : c_ip;
        spec.tcp = w.tcp;
        spec.tcp.src_port = from_client ? c_port : 80;
        spec.tcp.dst_port = from_client ? 80 : c_port;
        spec.payload = w.payload;
        frame.clear();
        if (auto r = wire::build_frame(spec, frame); !r) {
            std::fprintf(stderr, "make_capture: %s\n", r.error().message.c_str());
            return 1;
        }
        if (auto r = writer->write(base + Duration::nanos(s.ns), frame); !r) {
            std::fprintf(stderr, "make_capture: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    if (auto r = writer->close(); !r) {
        std::fprintf(stderr, "make_capture: %s\n", r.error().message.c_str());
        return 1;
    }
    std::printf("%zu packets written to %s\n", slots.size(), argv[1]);
    return 0;
}
