#include <gtest/gtest.h>

#include <set>

#include "capture/capture_reader.hpp"
#include "capture/pcap_writer.hpp"
#include "capture_test_support.hpp"

using namespace teardown;
using namespace teardown::capture;
using namespace teardown::capture::test;

namespace {

std::vector<Frame> read_all(CaptureReader& r, std::string* error = nullptr) {
    std::vector<Frame> out;
    Frame f;
    for (;;) {
        auto more = r.next(f);
        if (!more.ok()) {
            if (error) *error = more.error().message;
            break;
        }
        if (!*more) break;
        out.push_back(f);
    }
    return out;
}

} // namespace

TEST(PcapngReader, two_interfaces_with_their_own_link_types_and_resolutions) {
    for (bool big : {false, true}) {
        Ng ng(big);
        ng.shb().idb(1, 6).idb(101, 9).epb(0, 1'700'000'000'000'001ULL, frame_of(60, 1))
            .epb(1, 1'700'000'000'000'000'002ULL, frame_of(40, 2));
        auto r = CaptureReader::from_memory(ng.b.b, "two.pcapng");
        ASSERT_TRUE(r.ok()) << r.error().message;
        auto frames = read_all(*r);
        ASSERT_EQ(frames.size(), 2u);
        EXPECT_EQ(frames[0].link, wire::LinkType::ethernet);
        EXPECT_EQ(frames[0].ts.nanos(), 1'700'000'000'000'001'000LL);  // microsecond ticks
        EXPECT_EQ(frames[1].link, wire::LinkType::raw);
        EXPECT_EQ(frames[1].interface_id, 1u);
        EXPECT_EQ(frames[1].ts.nanos(), 1'700'000'000'000'000'002LL);  // nanosecond ticks
        ASSERT_EQ(r->interfaces().size(), 2u);
    }
}

TEST(PcapngReader, power_of_two_resolution_is_converted_exactly) {
    Ng ng(false);
    ng.shb().idb(1, 0x80 | 20).epb(0, (3ULL << 20) + (1ULL << 19), frame_of(10, 0));  // 3.5 s in 2^-20 ticks
    auto r = CaptureReader::from_memory(ng.b.b, "b2.pcapng");
    ASSERT_TRUE(r.ok());
    auto frames = read_all(*r);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].ts.nanos(), 3'500'000'000LL);
}

TEST(PcapngReader, simple_and_obsolete_packet_blocks_and_unknown_blocks) {
    Ng ng(false);
    ng.shb().idb(1).block(0x0BAD, frame_of(8, 0)).spb(60, frame_of(60, 3)).opb(0, 5, frame_of(20, 4))
        .block(5 /* interface statistics */, frame_of(16, 0));
    auto r = CaptureReader::from_memory(ng.b.b, "mixed.pcapng");
    ASSERT_TRUE(r.ok());
    auto frames = read_all(*r);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].data.size(), 60u);
    EXPECT_EQ(frames[0].data[0], std::byte{3});
    EXPECT_EQ(frames[1].data.size(), 20u);
    EXPECT_EQ(r->skipped_blocks(), 2u);
}

TEST(PcapngReader, a_new_section_may_change_byte_order_and_renumbers_interfaces) {
    Ng le(false);
    le.shb().idb(1).epb(0, 1, frame_of(30, 1));
    Ng be(true);
    be.shb().idb(101).epb(0, 2, frame_of(31, 2));
    auto bytes = le.b.b;
    bytes.insert(bytes.end(), be.b.b.begin(), be.b.b.end());
    auto r = CaptureReader::from_memory(bytes, "sections.pcapng");
    ASSERT_TRUE(r.ok());
    auto frames = read_all(*r);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].link, wire::LinkType::ethernet);
    EXPECT_EQ(frames[1].link, wire::LinkType::raw);
    EXPECT_EQ(frames[1].data.size(), 31u);
}

TEST(PcapngReader, block_lengths_that_lie_are_errors_naming_the_offset) {
    struct Case {
        std::uint32_t length;
        bool fix_trailer;
        const char* says;
    };
    for (auto c : {Case{8, true, "is below 12"}, Case{30, true, "not a multiple of 4"},
                   Case{36, false, "disagrees with its trailing copy"}}) {
        Ng ng(false);
        ng.shb().idb(1);
        const std::size_t at = ng.b.b.size();
        ng.epb(0, 1, frame_of(16, 1));  // 32 + 16 = 48 bytes
        Bytes patch;
        patch.u32(c.length);
        std::copy(patch.b.begin(), patch.b.end(), ng.b.b.begin() + static_cast<long>(at + 4));
        if (!c.fix_trailer) {
            // leave the trailer at 48 while the header says 36: they disagree
        }
        auto r = CaptureReader::from_memory(ng.b.b, "lie.pcapng");
        ASSERT_TRUE(r.ok());
        std::string error;
        auto frames = read_all(*r, &error);
        EXPECT_TRUE(frames.empty());
        EXPECT_NE(error.find("lie.pcapng: pcapng block at offset " + std::to_string(at)), std::string::npos) << error;
        EXPECT_NE(error.find(c.says), std::string::npos) << error;
    }
}

TEST(PcapngReader, inner_lengths_that_lie_are_errors) {
    Ng ng(false);
    ng.shb().idb(1);
    Bytes x = ng.body();
    x.u32(0).u32(0).u32(0).u32(500).u32(500).raw(frame_of(16, 0));  // says 500 captured bytes in a 16-byte room
    ng.block(6, x.b);
    auto r = CaptureReader::from_memory(ng.b.b, "inner.pcapng");
    ASSERT_TRUE(r.ok());
    std::string error;
    read_all(*r, &error);
    EXPECT_NE(error.find("captured length 500 runs past the block"), std::string::npos) << error;

    Ng ng2(false);
    ng2.shb().epb(3, 0, frame_of(4, 0));
    auto r2 = CaptureReader::from_memory(ng2.b.b, "noifc.pcapng");
    ASSERT_TRUE(r2.ok());
    read_all(*r2, &error);
    EXPECT_NE(error.find("names interface 3 but the section has 0"), std::string::npos) << error;
}

TEST(PcapngReader, every_truncation_delivers_whole_packets_then_warns) {
    Ng ng(false);
    std::set<std::size_t> block_ends;
    ng.shb();
    block_ends.insert(ng.b.b.size());
    ng.idb(1);
    block_ends.insert(ng.b.b.size());
    ng.epb(0, 1, frame_of(20, 1));
    const std::size_t first_packet_end = ng.b.b.size();
    block_ends.insert(first_packet_end);
    ng.epb(0, 2, frame_of(24, 2));
    const auto& bytes = ng.b.b;
    for (std::size_t n = 4; n < bytes.size(); ++n) {
        auto r = CaptureReader::from_memory(std::span{bytes}.first(n), "cut.pcapng");
        if (!r.ok()) continue;
        std::string error;
        auto frames = read_all(*r, &error);
        EXPECT_TRUE(error.empty()) << n << ": " << error;
        EXPECT_EQ(frames.size(), n >= first_packet_end ? 1u : 0u) << n;
        EXPECT_EQ(r->warning().has_value(), block_ends.count(n) == 0) << n;
    }
}

TEST(PcapngWriter, writes_two_interfaces_comments_and_unknown_blocks_that_read_back) {
    TempFile file(".pcapng");
    auto w = PcapngWriter::create(file.path(), {{wire::LinkType::ethernet, "eth0", 9, 262144},
                                               {wire::LinkType::linux_sll, "any", 6, 262144}});
    ASSERT_TRUE(w.ok()) << w.error().message;
    const Instant t = Instant::from_nanos(1'700'000'000'987'654'321LL);
    ASSERT_TRUE(w->write(0, t, frame_of(60, 1), 0, "first").ok());
    ASSERT_TRUE(w->write_block(0x0BADBEEF, frame_of(12, 0)).ok());
    ASSERT_TRUE(w->write(1, t, frame_of(70, 2)).ok());
    ASSERT_TRUE(w->close().ok());
    auto r = CaptureReader::open(file.path());
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto frames = read_all(*r);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].ts, t);
    EXPECT_EQ(frames[1].ts.nanos(), t.nanos() / 1000 * 1000);
    EXPECT_EQ(frames[1].link, wire::LinkType::linux_sll);
    EXPECT_EQ(r->interfaces()[0].name, "eth0");
    EXPECT_EQ(r->skipped_blocks(), 1u);
}
