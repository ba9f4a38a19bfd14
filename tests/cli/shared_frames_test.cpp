// A stream read once for several shards (cli/shared_frames.hpp): every
// shard gets every frame in order, a slow shard holds the reader back
// rather than letting batches pile up, and a shard that stops early holds
// no one back.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "capture/byte_stream.hpp"
#include "cli/shared_frames.hpp"

using namespace teardown;
using namespace teardown::cli;

namespace {

// A little-endian pcap of `count` frames of 1000 bytes, frame i's bytes all i % 256 (about 1 MB a thousand).
std::vector<std::byte> pcap_of(std::uint32_t count) {
    std::vector<std::byte> b;
    const auto u32 = [&](std::uint32_t v) {
        for (int k = 0; k < 4; ++k) b.push_back(std::byte(static_cast<unsigned char>(v >> (8 * k))));
    };
    u32(0xA1B2C3D4);
    u32(2 | 4u << 16);
    u32(0);
    u32(0);
    u32(65535);
    u32(1);
    for (std::uint32_t i = 0; i < count; ++i) {
        u32(1'700'000'000 + i);
        u32(0);
        u32(1000);
        u32(1000);
        b.insert(b.end(), 1000, std::byte(static_cast<unsigned char>(i)));
    }
    return b;
}

// What a shard saw: each frame's second, and whether its bytes were its own.
struct Taken {
    std::vector<std::int64_t> seconds;
    bool bytes_right{true};
    ReadEnd end{ReadEnd::error};
};

Taken take_all(SharedFrames& shared, unsigned shard, std::chrono::microseconds pause = {}) {
    Taken t;
    t.end = shared.take(shard, [&](const capture::Frame& f) {
        const auto i = static_cast<std::uint32_t>(f.ts.nanos() / 1'000'000'000 - 1'700'000'000);
        t.seconds.push_back(f.ts.nanos() / 1'000'000'000);
        t.bytes_right = t.bytes_right && f.data.size() == 1000 && f.data[0] == std::byte(static_cast<unsigned char>(i)) &&
                        f.data[999] == std::byte(static_cast<unsigned char>(i));
        if (pause.count() > 0 && t.seconds.size() % 1000 == 0) std::this_thread::sleep_for(pause);
    });
    return t;
}

} // namespace

TEST(SharedFrames, every_shard_gets_every_frame_in_order_and_a_slow_one_holds_the_reader_back) {
    const auto bytes = pcap_of(30'000);  // 30 MB: 30 batches, more than are held at once
    auto reader = capture::CaptureReader::from_stream(capture::memory_stream(bytes, 1 << 16), "pipe");
    ASSERT_TRUE(reader.ok());
    SharedFrames shared{3};
    std::vector<Taken> taken(3);
    std::vector<std::thread> shards;
    for (unsigned i = 0; i < 3; ++i)
        shards.emplace_back([&, i] { taken[i] = take_all(shared, i, i == 2 ? std::chrono::microseconds{30000} : std::chrono::microseconds{}); });
    shared.read(*reader, "");
    for (auto& t : shards) t.join();
    for (const auto& t : taken) {
        ASSERT_EQ(t.seconds.size(), 30'000u);
        EXPECT_TRUE(std::is_sorted(t.seconds.begin(), t.seconds.end()));
        EXPECT_EQ(t.seconds.front(), 1'700'000'000);
        EXPECT_EQ(t.seconds.back(), 1'700'029'999);
        EXPECT_TRUE(t.bytes_right);
        EXPECT_EQ(t.end, ReadEnd::done);
    }
    EXPECT_LE(shared.most_held(), SharedFrames::k_ahead);
    EXPECT_GE(shared.most_held(), 3u);  // the reader went ahead of the slow one, as far as it may
}

TEST(SharedFrames, a_shard_that_stops_early_holds_no_one_back_and_the_filter_applies_to_all) {
    const auto bytes = pcap_of(20'000);
    auto reader = capture::CaptureReader::from_stream(capture::memory_stream(bytes, 1 << 16), "pipe");
    ASSERT_TRUE(reader.ok());
    SharedFrames shared{2};
    shared.leave(1);  // as a shard stopped by a filter that does not compile for another capture's link type
    Taken first;
    std::thread shard([&] { first = take_all(shared, 0); });
    shared.read(*reader, "");  // returns: nothing waits on shard 1
    shard.join();
    EXPECT_EQ(first.seconds.size(), 20'000u);

    auto again = capture::CaptureReader::from_stream(capture::memory_stream(bytes, 1 << 16), "pipe");
    SharedFrames filtered{1};
    Taken none;
    std::thread only([&] { none = take_all(filtered, 0); });
    filtered.read(*again, "tcp");  // frames of zeros and ones are no TCP
    only.join();
    EXPECT_EQ(none.seconds.size(), 0u);
    EXPECT_EQ(none.end, ReadEnd::done);
}
