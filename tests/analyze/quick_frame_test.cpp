// The quick way through a plain frame against the general decoder: on every
// frame of the seed's captures, and on each of them mutated (bytes flipped
// in the headers, the capture cut, the wire length changed), quick_segment
// either declines or gives exactly what decode_into, key_of and segment_of
// give; and quick_shard_hash is the decoded key's shard_hash().
#include <gtest/gtest.h>

#include <random>

#include "analyze/analyzer.hpp"
#include "analyze/quick_frame.hpp"
#include "support/seed_frames.hpp"
#include "wire/packet.hpp"

using namespace teardown;
using namespace teardown::analyze;

namespace {

struct Outcome {
    bool quick{false};
    bool decoded_tcp{false};
};

// The frame both ways; where both read it, the same key and segment.
Outcome both_ways(const std::vector<std::byte>& frame, std::uint32_t orig_len) {
    const Instant ts = Instant::from_seconds(7);
    FlowKey quick_key;
    CapturedSegment quick;
    Outcome o;
    o.quick = quick_segment(ts, wire::LinkType::ethernet, frame, orig_len, quick_key, quick);
    wire::DecodedPacket d;
    FlowKey key;
    CapturedSegment s;
    o.decoded_tcp = !wire::decode_into(wire::LinkType::ethernet, frame, orig_len, d) && key_of(d, key, s.from_lo);
    const auto hash = quick_shard_hash(wire::LinkType::ethernet, frame);
    if (hash && o.decoded_tcp) {
        EXPECT_EQ(*hash, key.shard_hash());
    }
    if (o.quick) {
        EXPECT_TRUE(hash.has_value());
    }
    if (!o.quick) return o;
    EXPECT_TRUE(o.decoded_tcp) << "quick read a frame the decoder refuses";
    if (!o.decoded_tcp) return o;
    segment_of(ts, d, false, s);
    EXPECT_EQ(quick_key.lo, key.lo);
    EXPECT_EQ(quick_key.hi, key.hi);
    EXPECT_EQ(quick_key.lo_port, key.lo_port);
    EXPECT_EQ(quick_key.hi_port, key.hi_port);
    EXPECT_EQ(quick_key.v6, key.v6);
    EXPECT_EQ(quick.from_lo, s.from_lo);
    EXPECT_EQ(quick.ts, s.ts);
    EXPECT_EQ(quick.seq, s.seq);
    EXPECT_EQ(quick.ack, s.ack);
    EXPECT_EQ(quick.payload_len, s.payload_len);
    EXPECT_EQ(quick.ip_len, s.ip_len);
    EXPECT_EQ(quick.window, s.window);
    EXPECT_EQ(quick.src_port, s.src_port);
    EXPECT_EQ(quick.dst_port, s.dst_port);
    EXPECT_EQ(quick.flags, s.flags);
    EXPECT_EQ(quick.window_scale, s.window_scale);
    EXPECT_EQ(quick.truncated, s.truncated);
    EXPECT_EQ(quick.bad_checksum, s.bad_checksum);
    return o;
}

} // namespace

TEST(QuickFrame, reads_the_plain_frames_as_the_decoder_and_leaves_it_the_rest) {
    std::size_t quick = 0, decoded_only = 0;
    for (const auto& f : test::seed_frames(2)) {
        const auto o = both_ways(f.frame, static_cast<std::uint32_t>(f.frame.size()));
        quick += o.quick;
        decoded_only += o.decoded_tcp && !o.quick;
    }
    EXPECT_GT(quick, 50u);         // plain IPv4
    EXPECT_GT(decoded_only, 50u);  // IPv6, IP options, VLAN tags
}

TEST(QuickFrame, a_mutated_frame_is_declined_or_read_as_the_decoder_reads_it) {
    std::mt19937 random{20261202};
    std::size_t quick = 0, declined = 0;
    for (const auto& f : test::seed_frames(1)) {
        for (int round = 0; round < 60; ++round) {
            auto frame = f.frame;
            auto orig_len = static_cast<std::uint32_t>(frame.size());
            // A byte of the headers flipped, the capture cut, the wire length changed: one or more of them.
            const unsigned what = random() % 8;
            if ((what & 1) != 0 && frame.size() > 14) {
                const std::size_t at = 12 + random() % std::min<std::size_t>(frame.size() - 12, 48);
                frame[at] = std::byte(static_cast<unsigned char>(random()));
            }
            if ((what & 2) != 0) frame.resize(random() % (frame.size() + 1));
            if ((what & 4) != 0) orig_len = static_cast<std::uint32_t>(random() % (2 * orig_len + 1));
            const auto o = both_ways(frame, orig_len);
            quick += o.quick;
            declined += !o.quick;
        }
    }
    EXPECT_GT(quick, 1000u);
    EXPECT_GT(declined, 1000u);
}

TEST(QuickFrame, the_window_scale_a_syn_offers_is_read_from_its_options) {
    using B = std::vector<std::byte>;
    const auto bytes = [](std::initializer_list<int> v) {
        B b;
        for (int x : v) b.push_back(static_cast<std::byte>(x));
        return b;
    };
    // Linux's SYN: MSS, SACK permitted, timestamps, NOP, window scale 7.
    EXPECT_EQ(window_scale_offered(bytes({2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7})), 7);
    EXPECT_EQ(window_scale_offered(bytes({3, 3, 20})), 14);                     // RFC 7323 §2.3: 14 at most
    EXPECT_EQ(window_scale_offered(bytes({0, 3, 3, 5})), CapturedSegment::k_no_scale);  // after the end of the list
    EXPECT_EQ(window_scale_offered(bytes({3, 3, 5, 2, 9})), 5);                 // a length past the end stops the walk, not what came before
    EXPECT_EQ(window_scale_offered(bytes({3, 4, 5, 0})), CapturedSegment::k_no_scale);  // a window scale of the wrong length
    EXPECT_EQ(window_scale_offered(bytes({3, 3, 2, 3, 3, 9})), 9);              // the last one counts
}
