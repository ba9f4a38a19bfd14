#include <gtest/gtest.h>

#include <zlib.h>

#include "capture/capture_reader.hpp"
#include "capture/pcap_writer.hpp"
#include "capture_test_support.hpp"

using namespace teardown;
using namespace teardown::capture;
using namespace teardown::capture::test;

namespace {

std::vector<Frame> read_all(CaptureReader& r) {
    std::vector<Frame> out;
    Frame f;
    for (;;) {
        auto more = r.next(f);
        EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
        if (!more.ok() || !*more) break;
        out.push_back(f);
    }
    return out;
}

// A classic pcap written by hand in either byte order and resolution.
std::vector<std::byte> handmade_pcap(bool big, bool nano, const std::vector<std::vector<std::byte>>& frames) {
    Bytes b;
    b.big = big;
    b.u32(nano ? 0xA1B23C4D : 0xA1B2C3D4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    std::uint32_t sec = 1'700'000'000;
    for (const auto& f : frames) {
        b.u32(sec++).u32(nano ? 123456789 : 123456).u32(static_cast<std::uint32_t>(f.size()))
            .u32(static_cast<std::uint32_t>(f.size() + 10)).raw(f);
    }
    return b.b;
}

} // namespace

TEST(PcapReader, reads_both_byte_orders_and_both_resolutions) {
    for (bool big : {false, true}) {
        for (bool nano : {false, true}) {
            auto bytes = handmade_pcap(big, nano, {frame_of(60, 1), frame_of(74, 2)});
            auto r = CaptureReader::from_memory(bytes, "mem.pcap");
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_EQ(r->format(), CaptureFormat::pcap);
            EXPECT_EQ(r->link_type(), 1u);
            auto frames = read_all(*r);
            ASSERT_EQ(frames.size(), 2u);
            EXPECT_EQ(frames[0].data.size(), 60u);
            EXPECT_EQ(frames[0].orig_len, 70u);
            EXPECT_EQ(frames[1].data[0], std::byte{2});
            EXPECT_EQ(frames[0].ts.nanos(), 1'700'000'000LL * 1'000'000'000 + (nano ? 123456789 : 123456000));
            EXPECT_EQ(frames[1].offset, 24u + 16u + 60u);
            EXPECT_FALSE(r->warning().has_value());
        }
    }
}

TEST(PcapReader, every_truncation_delivers_the_whole_records_then_warns_with_the_offset) {
    auto bytes = handmade_pcap(false, true, {frame_of(60, 1), frame_of(40, 2)});
    const std::size_t second = 24 + 16 + 60;
    for (std::size_t n = 24; n < bytes.size(); ++n) {
        auto r = CaptureReader::from_memory(std::span{bytes}.first(n), "cut.pcap");
        ASSERT_TRUE(r.ok());
        auto frames = read_all(*r);
        const std::size_t whole = n >= second ? 1 : 0;
        EXPECT_EQ(frames.size(), whole) << n;
        if (n == 24 || n == second) {
            EXPECT_FALSE(r->warning().has_value()) << n;  // cut between records: a clean end
        } else {
            ASSERT_TRUE(r->warning().has_value()) << n;
            EXPECT_EQ(r->warning()->offset, n < second ? 24u : second);
            EXPECT_NE(r->warning()->message.find("cut.pcap: truncated at offset"), std::string::npos);
        }
    }
}

TEST(PcapReader, a_file_header_cut_short_or_a_bad_magic_is_an_error) {
    auto bytes = handmade_pcap(false, false, {});
    auto r = CaptureReader::from_memory(std::span{bytes}.first(10), "short.pcap");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("short.pcap: pcap file header needs 24 bytes"), std::string::npos);

    std::vector<std::byte> junk{std::byte{'G'}, std::byte{'E'}, std::byte{'T'}, std::byte{' '}, std::byte{'/'}};
    auto bad = CaptureReader::from_memory(junk, "page.html");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "page.html: not a pcap or pcapng file (starts with 47 45 54 20)");
}

TEST(PcapReader, a_record_longer_than_256k_is_a_lie_naming_its_offset) {
    Bytes b;
    b.u32(0xA1B2C3D4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    b.u32(1).u32(0).u32(300000).u32(300000);
    auto r = CaptureReader::from_memory(b.b, "big.pcap");
    ASSERT_TRUE(r.ok());
    Frame f;
    auto more = r->next(f);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.error().message, "big.pcap: pcap record at offset 24: captured length 300000 exceeds 256 KiB");
}

TEST(PcapWriter, round_trips_through_the_reader_in_both_resolutions) {
    for (auto res : {PcapWriter::Resolution::nanosecond, PcapWriter::Resolution::microsecond}) {
        TempFile file(".pcap");
        auto w = PcapWriter::create(file.path(), wire::LinkType::linux_sll2, res, 100);
        ASSERT_TRUE(w.ok()) << w.error().message;
        const Instant t = Instant::from_nanos(1'700'000'000'123'456'789LL);
        ASSERT_TRUE(w->write(t, frame_of(64, 7)).ok());
        ASSERT_TRUE(w->write(t + Duration::millis(5), frame_of(150, 8)).ok());  // cut to the snaplen
        ASSERT_TRUE(w->close().ok());
        auto r = CaptureReader::open(file.path());
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->link_type(), 276u);
        auto frames = read_all(*r);
        ASSERT_EQ(frames.size(), 2u);
        EXPECT_EQ(frames[0].link, wire::LinkType::linux_sll2);
        EXPECT_EQ(frames[0].ts.nanos(), res == PcapWriter::Resolution::nanosecond ? t.nanos() : t.nanos() / 1000 * 1000);
        EXPECT_EQ(frames[1].data.size(), 100u);
        EXPECT_EQ(frames[1].orig_len, 150u);
        EXPECT_EQ(frames[1].data[99], std::byte{8 + 99});
    }
}

TEST(CaptureFiles, gzip_compressed_captures_are_read_transparently) {
    TempFile plain(".pcap");
    auto w = PcapWriter::create(plain.path(), wire::LinkType::ethernet);
    ASSERT_TRUE(w.ok());
    for (unsigned i = 0; i < 50; ++i) ASSERT_TRUE(w->write(Instant::from_seconds(i), frame_of(60 + i, i)).ok());
    ASSERT_TRUE(w->close().ok());
    auto bytes = plain.read();
    TempFile gz(".pcap.gz");
    gzFile out = gzopen(gz.path().c_str(), "wb");
    ASSERT_NE(out, nullptr);
    gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(out);
    auto r = CaptureReader::open(gz.path());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->was_gzip());
    auto frames = read_all(*r);
    ASSERT_EQ(frames.size(), 50u);
    EXPECT_EQ(frames[49].data.size(), 109u);

    // A gzip file cut in half: what inflated is read, and the reader says the stream ended early.
    auto compressed = gz.read();
    TempFile half(".pcap.gz");
    half.write(std::vector<std::byte>(compressed.begin(), compressed.begin() + static_cast<long>(compressed.size() / 2)));
    auto h = CaptureReader::open(half.path());
    ASSERT_TRUE(h.ok()) << h.error().message;
    auto some = read_all(*h);
    EXPECT_LT(some.size(), 50u);
    ASSERT_TRUE(h->warning().has_value());
}

TEST(CaptureFiles, missing_empty_and_directory_paths_are_clear_errors) {
    auto missing = CaptureReader::open("/nonexistent/x.pcap");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "/nonexistent/x.pcap: cannot open: No such file or directory");
    auto dir = CaptureReader::open("/tmp");
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().message, "/tmp: is a directory, not a capture file");
    TempFile empty(".pcap");
    empty.write({});
    auto e = CaptureReader::open(empty.path());
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("empty file"), std::string::npos);
}
