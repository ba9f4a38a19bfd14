#pragma once
// The seed's situations as Ethernet frames in time order, for tests of the
// analyzer's frame paths: twenty rounds, IPv4 and IPv6, 300 s apart on the
// same ports (so later rounds reuse the 4-tuples and the clock finishes the
// earlier ones). Every seventh IPv4 frame carries IP options and every
// eleventh a VLAN tag, so a flow's frames go both the quick way and the
// decoding way; now and then an ARP frame, and an IPv4 header cut short.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "sim/seed_situations.hpp"
#include "wire/frame_builder.hpp"

namespace teardown::test {

struct TimedFrame {
    Instant at;
    std::vector<std::byte> frame;
};

inline std::vector<TimedFrame> seed_frames(int rounds = 20) {
    std::vector<TimedFrame> frames;
    std::size_t n = 0;
    for (int round = 0; round < rounds; ++round)
        for (const auto family : {sim::AddressFamily::v4, sim::AddressFamily::v6})
            for (const auto& s : sim::seed_situations(family, Instant::from_seconds(1'000 + round * 300)))
                for (const auto& w : s.conversation.segments()) {
                    wire::FrameSpec spec;
                    spec.src = w.src;
                    spec.dst = w.dst;
                    spec.tcp = w.tcp;
                    spec.payload = w.payload;
                    ++n;
                    if (w.src.is_v4() && n % 7 == 0) spec.ipv4_options = {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}};
                    if (n % 11 == 0) spec.vlans = {42};
                    TimedFrame t{w.at, {}};
                    EXPECT_TRUE(wire::build_frame(spec, t.frame).ok());
                    frames.push_back(std::move(t));
                    if (n % 97 == 0) {
                        TimedFrame arp{w.at, std::vector<std::byte>(42)};
                        arp.frame[12] = std::byte{0x08};
                        arp.frame[13] = std::byte{0x06};
                        frames.push_back(std::move(arp));
                    }
                    if (n % 101 == 0) {
                        TimedFrame cut{w.at, std::vector<std::byte>(24)};
                        cut.frame[12] = std::byte{0x08};
                        cut.frame[14] = std::byte{0x45};
                        frames.push_back(std::move(cut));
                    }
                }
    std::stable_sort(frames.begin(), frames.end(), [](const TimedFrame& a, const TimedFrame& b) { return a.at < b.at; });
    return frames;
}

} // namespace teardown::test
