// A capture read as a stream (a pipe, stdin, gzip) gives the frames,
// warnings and errors its bytes give mapped, whatever pieces the stream
// hands over and wherever they cut the records; and however long the
// capture, the memory it takes stays bounded.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <zlib.h>

#include <csignal>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include "capture/byte_stream.hpp"
#include "capture/capture_reader.hpp"
#include "capture_test_support.hpp"

using namespace teardown;
using namespace teardown::capture;
using namespace teardown::capture::test;

namespace {

// Everything a reader gave, its frames' bytes copied (a stream's last only until the next call).
struct Seen {
    struct Kept {
        std::int64_t ts;
        wire::LinkType link;
        std::uint32_t interface_id, orig_len;
        std::vector<std::byte> data;
        std::uint64_t offset;
        bool operator==(const Kept&) const = default;
    };
    std::vector<Kept> frames;
    std::string error;    // an open or a next() that failed
    std::string warning;  // at the end
    bool operator==(const Seen&) const = default;
};

// With `run`, the frames are taken by feed_records() in runs of that many
// before each next().
Seen seen(Result<CaptureReader> r, std::uint64_t run = 0) {
    Seen s;
    if (!r) {
        s.error = r.error().message;
        return s;
    }
    const auto keep = [&](const Frame& f) {
        s.frames.push_back({f.ts.nanos(), f.link, f.interface_id, f.orig_len, {f.data.begin(), f.data.end()}, f.offset});
    };
    Frame f;
    for (;;) {
        if (run > 0) r->feed_records(keep, run);
        auto more = r->next(f);
        if (!more) {
            s.error = more.error().message;
            break;
        }
        if (!*more) break;
        keep(f);
    }
    if (r->warning()) s.warning = r->warning()->message;
    return s;
}

Seen mapped(const std::vector<std::byte>& bytes) { return seen(CaptureReader::from_memory(bytes, "cap")); }
Seen streamed(const std::vector<std::byte>& bytes, std::size_t piece) {
    return seen(CaptureReader::from_stream(memory_stream(bytes, piece), "cap"));
}

// A pcap of `count` frames of sizes up to 1500, in 3 MB: more than the window a stream is read through.
std::vector<std::byte> long_pcap(bool big, std::size_t count = 3000, bool nanoseconds = false) {
    Bytes b;
    b.big = big;
    b.u32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t n = 40 + (i * 577) % 1461;
        b.u32(1'700'000'000 + static_cast<std::uint32_t>(i)).u32(static_cast<std::uint32_t>(i % 1'000'000))
            .u32(static_cast<std::uint32_t>(n)).u32(static_cast<std::uint32_t>(n + i % 3)).raw(frame_of(n, static_cast<unsigned>(i)));
    }
    return b.b;
}

// Two sections, two interfaces, every kind of packet block, a skipped one.
std::vector<std::byte> long_pcapng(bool big) {
    Ng ng(big);
    ng.shb().idb(1, 6).idb(101, 9);
    for (unsigned i = 0; i < 2000; ++i) {
        ng.epb(i % 2, 1'700'000'000'000'000ULL + i, frame_of(60 + i % 900, i));
        if (i % 97 == 0) ng.block(0x0BAD, frame_of(i % 50, i));  // unknown: skipped
        if (i % 101 == 0) ng.spb(200, frame_of(64, i));
        if (i % 103 == 0) ng.opb(1, 1'700'000'000'000'000'000ULL + i, frame_of(70, i));
    }
    ng.shb().idb(228).epb(0, 5, frame_of(20, 9));
    return ng.b.b;
}

// The offset of record `n` of a little-endian pcap.
std::size_t after_records(const std::vector<std::byte>& pcap, int n) {
    std::size_t at = 24;
    for (int i = 0; i < n; ++i) {
        std::uint32_t incl;
        std::memcpy(&incl, pcap.data() + at + 8, 4);
        at += 16 + incl;
    }
    return at;
}

std::vector<std::byte> gzip(const std::vector<std::byte>& in) {
    std::vector<std::byte> out(compressBound(static_cast<uLong>(in.size())) + 64);
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// Writes `bytes` into a pipe from a thread of its own; the reading end is fd().
class Pipe {
public:
    explicit Pipe(std::vector<std::byte> bytes) {
        std::signal(SIGPIPE, SIG_IGN);  // a reader that stops early: the writer's write fails, and it stops
        EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0);
        writer_ = std::thread([this, b = std::move(bytes)] {
            std::size_t at = 0;
            while (at < b.size()) {
                const ssize_t n = ::write(fds_[1], b.data() + at, std::min<std::size_t>(b.size() - at, 60000));
                if (n <= 0) break;
                at += static_cast<std::size_t>(n);
            }
            ::close(fds_[1]);
        });
    }
    ~Pipe() {
        ::close(fds_[0]);
        writer_.join();
    }
    std::string path() const { return "/dev/fd/" + std::to_string(fds_[0]); }

private:
    int fds_[2]{-1, -1};
    std::thread writer_;
};

std::uint64_t peak_rss_kb() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
    return 0;
}

} // namespace

TEST(CaptureStream, gives_the_frames_the_mapped_bytes_give_in_whatever_pieces_it_comes) {
    for (bool big : {false, true}) {
        for (const auto& bytes : {long_pcap(big), long_pcapng(big)}) {
            const Seen whole = mapped(bytes);
            ASSERT_EQ(whole.error, "");
            ASSERT_GT(whole.frames.size(), 2000u);
            for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{16}, std::size_t{4093}, std::size_t{1} << 20, bytes.size()}) {
                SCOPED_TRACE(piece);
                EXPECT_TRUE(streamed(bytes, piece) == whole);  // offsets in the file, past the window's first fill too
            }
        }
    }
}

TEST(CaptureStream, records_fed_in_runs_are_the_frames_next_gives_mapped_or_streamed) {
    for (bool big : {false, true}) {
        for (bool nanoseconds : {false, true}) {
            auto pcap = long_pcap(big, 3000, nanoseconds);
            const Seen whole = mapped(pcap);
            ASSERT_EQ(whole.frames.size(), 3000u);
            for (std::uint64_t run : {std::uint64_t{1}, std::uint64_t{7}, ~std::uint64_t{0}}) {
                SCOPED_TRACE(run);
                EXPECT_TRUE(seen(CaptureReader::from_memory(pcap, "cap"), run) == whole);
                // Through a stream's window, which feed_records() stops at the end of.
                EXPECT_TRUE(seen(CaptureReader::from_stream(memory_stream(pcap, 4093), "cap"), run) == whole);
            }
            // Cut inside a record, and lying about one: the same frames, warning and error.
            const std::vector<std::byte> cut(pcap.begin(), pcap.begin() + static_cast<std::ptrdiff_t>(pcap.size() / 2 + 5));
            EXPECT_TRUE(seen(CaptureReader::from_memory(cut, "cap"), 100) == mapped(cut));
            if (!big && !nanoseconds) {
                pcap[after_records(pcap, 1000) + 11] = std::byte{0xFF};  // a captured length of about 4 GB
                EXPECT_TRUE(seen(CaptureReader::from_memory(pcap, "cap"), 100) == mapped(pcap));
                EXPECT_NE(mapped(pcap).error, "");
            }
        }
    }
}

// pcapng's packet blocks are fed in the same runs (next() itself reads one
// that way): the frames are what was written, in both byte orders, with the
// long way taking the other blocks between the runs.
TEST(CaptureStream, pcapng_packet_blocks_fed_in_runs_are_the_frames_written_mapped_or_streamed) {
    for (bool big : {false, true}) {
        SCOPED_TRACE(big);
        const auto ng = long_pcapng(big);
        const Seen whole = mapped(ng);
        // 2000 enhanced, 20 simple, 20 obsolete, and the second section's one.
        ASSERT_EQ(whole.frames.size(), 2041u);
        EXPECT_EQ(whole.error, "");
        EXPECT_EQ(whole.warning, "");
        std::vector<std::uint32_t> interfaces;
        std::vector<std::size_t> sizes;
        std::vector<std::int64_t> times;
        for (const auto& f : whole.frames) {
            // The simple ones have no time; the obsolete ones, on interface
            // 1 (nanoseconds), are 10^18 ns on where the enhanced are 10^15.
            if (f.ts == 0 || (f.interface_id == 1 && f.ts >= 1'000'000'000'000'000'000)) continue;
            interfaces.push_back(f.interface_id);
            sizes.push_back(f.data.size());
            times.push_back(f.ts);
        }
        ASSERT_EQ(sizes.size(), 2001u);
        for (unsigned i = 0; i < 2000; ++i) {
            EXPECT_EQ(interfaces[i], i % 2);
            EXPECT_EQ(sizes[i], 60 + i % 900);
            // Microseconds on interface 0, nanoseconds on 1.
            EXPECT_EQ(times[i], static_cast<std::int64_t>((1'700'000'000'000'000ULL + i) * (i % 2 == 0 ? 1000 : 1)));
        }
        EXPECT_EQ(whole.frames.back().link, wire::LinkType{228});
        EXPECT_EQ(whole.frames.back().ts, 5000);
        for (std::uint64_t run : {std::uint64_t{1}, std::uint64_t{7}, ~std::uint64_t{0}}) {
            SCOPED_TRACE(run);
            EXPECT_TRUE(seen(CaptureReader::from_memory(ng, "cap"), run) == whole);
            EXPECT_TRUE(seen(CaptureReader::from_stream(memory_stream(ng, 4093), "cap"), run) == whole);
        }
        // Cut inside a block: the frames before it, and the same warning.
        const std::vector<std::byte> cut(ng.begin(), ng.begin() + static_cast<std::ptrdiff_t>(ng.size() / 2 + 5));
        const Seen part = mapped(cut);
        EXPECT_NE(part.warning, "");
        EXPECT_TRUE(seen(CaptureReader::from_memory(cut, "cap"), 100) == part);
        EXPECT_TRUE(seen(CaptureReader::from_stream(memory_stream(cut, 4093), "cap"), 100) == part);
    }
}

// Each lie a packet block can tell stops the run, and the long way names it.
TEST(CaptureStream, a_lying_pcapng_packet_block_stops_the_run_and_is_named_at_its_offset) {
    Ng head(false);
    head.shb().idb(1);
    const std::size_t at = head.b.b.size() + 3 * (32 + 60);  // the fourth packet block
    const auto build = [](std::size_t put, std::uint32_t value) {
        Ng ng(false);
        ng.shb().idb(1);
        for (unsigned i = 0; i < 6; ++i) ng.epb(0, i, frame_of(60, i));
        std::memcpy(ng.b.b.data() + put, &value, 4);
        return ng.b.b;
    };
    const std::string where = "cap: pcapng block at offset " + std::to_string(at) + ": ";
    const struct {
        std::size_t field;
        std::uint32_t value;
        std::string error;
    } lies[] = {
        {8, 1, "packet names interface 1 but the section has 1"},
        {20, 300'000, "captured length 300000 exceeds 256 KiB"},
        {20, 61, "captured length 61 runs past the block's 60 bytes of room"},
        {4, 8, "block length 8 is below 12"},
        {4, 90, "block length 90 is not a multiple of 4"},
        {88, 96, "block length 92 disagrees with its trailing copy 96"},
    };
    for (const auto& lie : lies) {
        SCOPED_TRACE(lie.error);
        const auto ng = build(at + lie.field, lie.value);
        const Seen whole = mapped(ng);
        EXPECT_EQ(whole.frames.size(), 3u);
        EXPECT_EQ(whole.error, where + lie.error);
        for (std::uint64_t run : {std::uint64_t{1}, ~std::uint64_t{0}}) {
            EXPECT_TRUE(seen(CaptureReader::from_memory(ng, "cap"), run) == whole);
            EXPECT_TRUE(seen(CaptureReader::from_stream(memory_stream(ng, 50), "cap"), run) == whole);
        }
    }
}

TEST(CaptureStream, cut_short_or_lying_it_ends_as_the_mapped_bytes_do_naming_the_file_offset) {
    const auto pcap = long_pcap(false, 1500);
    // Cut anywhere: the frames before, and the same warning.
    for (std::size_t cut : {std::size_t{3}, std::size_t{20}, std::size_t{30}, pcap.size() / 2 + 5, pcap.size() - 1}) {
        SCOPED_TRACE(cut);
        const std::vector<std::byte> part(pcap.begin(), pcap.begin() + static_cast<std::ptrdiff_t>(cut));
        const Seen whole = mapped(part);
        EXPECT_TRUE(streamed(part, 4093) == whole) << whole.warning << whole.error;
        EXPECT_TRUE(streamed(part, 7) == whole);
    }
    // A record 1.4 MB in, past the first window, that lies about its length.
    auto lying = pcap;
    const std::uint64_t at = after_records(pcap, 1000);
    const std::uint32_t huge = 300'000;
    std::memcpy(lying.data() + at + 8, &huge, 4);
    const Seen whole = mapped(lying);
    EXPECT_EQ(whole.frames.size(), 1000u);
    EXPECT_EQ(whole.error, "cap: pcap record at offset " + std::to_string(at) + ": captured length 300000 exceeds 256 KiB");
    EXPECT_TRUE(streamed(lying, 65536) == whole) << streamed(lying, 65536).error;
}

TEST(CaptureStream, a_pcapng_block_larger_than_its_window_is_read_whole_and_one_past_its_bound_refused) {
    Ng ng(false);
    ng.shb().idb(1).epb(0, 1, frame_of(60, 1)).block(0x0BAD, frame_of(3 * 1024 * 1024, 2)).epb(0, 2, frame_of(61, 3));
    const Seen whole = mapped(ng.b.b);
    ASSERT_EQ(whole.frames.size(), 2u);
    EXPECT_TRUE(streamed(ng.b.b, 1 << 16) == whole);
    // A block that says it is 65 MiB: a stream holds no block so large.
    Ng big(false);
    big.shb().idb(1);
    const std::uint64_t at = big.b.b.size();
    big.b.u32(0x0BAD).u32(65 * 1024 * 1024).u32(0);
    const Seen refused = streamed(big.b.b, 1 << 16);
    EXPECT_EQ(refused.error, "cap: pcapng block at offset " + std::to_string(at) +
                                 ": block length 68157440 exceeds the 64 MiB a block of a stream may take");
}

TEST(CaptureStream, reads_a_pipe_plain_or_gzip_of_several_members_and_says_where_gzip_is_damaged) {
    const auto pcap = long_pcap(false);
    const Seen whole = mapped(pcap);
    {
        Pipe pipe{pcap};
        auto r = CaptureReader::open(pipe.path());
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_FALSE(r->was_gzip());
        EXPECT_TRUE(r->read_once());
        EXPECT_EQ(r->size(), 0u);  // a pipe's length is not known
        const Seen s = seen(std::move(r));
        EXPECT_EQ(s.frames.size(), whole.frames.size());
        EXPECT_TRUE(s == whole);
    }
    {
        // Two members one after the other (`cat a.gz b.gz`) inflate to the two files one after the other.
        const std::size_t half = 24 + 16 + 40;  // the header and the first record in the first member
        auto members = gzip({pcap.begin(), pcap.begin() + half});
        const auto second = gzip({pcap.begin() + half, pcap.end()});
        members.insert(members.end(), second.begin(), second.end());
        Pipe pipe{members};
        auto r = CaptureReader::open(pipe.path());
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_TRUE(r->was_gzip());
        EXPECT_TRUE(seen(std::move(r)) == whole);
    }
    {
        // A second member damaged at its start: the first member's frames,
        // and a warning naming the compressed offset where inflating failed.
        const std::size_t cut = after_records(pcap, 1000);
        auto members = gzip({pcap.begin(), pcap.begin() + static_cast<std::ptrdiff_t>(cut)});
        const std::size_t second_at = members.size();
        auto second = gzip({pcap.begin() + static_cast<std::ptrdiff_t>(cut), pcap.end()});
        second[0] = std::byte{0x00};  // no gzip magic
        members.insert(members.end(), second.begin(), second.end());
        Pipe pipe{members};
        const Seen s = seen(CaptureReader::open(pipe.path()));
        EXPECT_EQ(s.error, "");
        EXPECT_EQ(s.frames.size(), 1000u);
        EXPECT_TRUE(std::equal(s.frames.begin(), s.frames.end(), whole.frames.begin()));
        // (a member whose header is not gzip's is named by where it begins)
        EXPECT_EQ(s.warning, pipe.path() + ": gzip data corrupt at compressed offset " + std::to_string(second_at) +
                                 " (not a gzip member header); reading what it held");
    }
}

TEST(CaptureStream, a_gzip_file_inflating_to_hundreds_of_megabytes_is_read_in_a_few) {
    // 200 000 frames of 1 000 bytes: 203 MB inflated, a few hundred KB compressed.
    TempFile gz(".pcap.gz");
    {
        Bytes header;
        header.u32(0xA1B2C3D4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
        gzFile out = gzopen(gz.path().c_str(), "wb1");
        ASSERT_NE(out, nullptr);
        gzwrite(out, header.b.data(), static_cast<unsigned>(header.b.size()));
        Bytes record;
        record.u32(1'700'000'000).u32(0).u32(1000).u32(1000).raw(std::vector<std::byte>(1000));
        for (int i = 0; i < 200'000; ++i) gzwrite(out, record.b.data(), static_cast<unsigned>(record.b.size()));
        gzclose(out);
    }
    ASSERT_LT(std::filesystem::file_size(gz.path()), 4'000'000u);
    // The peak resident size from here on (clear_refs 5 resets it, Linux 4.0).
    std::ofstream("/proc/self/clear_refs") << "5";
    const std::uint64_t before = peak_rss_kb();
    auto r = CaptureReader::open(gz.path());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->read_once());
    EXPECT_EQ(r->size(), std::filesystem::file_size(gz.path()));  // progress counts the compressed bytes
    Frame f;
    std::uint64_t frames = 0;
    while (*r->next(f)) ++frames;
    EXPECT_EQ(frames, 200'000u);
    EXPECT_EQ(r->position(), r->size());
    EXPECT_FALSE(r->warning().has_value());
    EXPECT_LT(peak_rss_kb() - before, 32u * 1024) << "KB more at the peak, for 203 MB inflated";
}

TEST(CaptureStream, a_gzip_pipe_whose_writer_goes_quiet_lets_its_reader_go_at_once) {
    // gzip from a pipe is inflated ahead by a thread of its own, which here
    // waits on a writer that stays open and sends no more: dropping the
    // reader must not wait with it (cancel()).
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const auto member = gzip(long_pcap(false, 50));
    ASSERT_LT(member.size(), 65536u);  // within the pipe's buffer: written before anyone reads
    ASSERT_EQ(::write(fds[1], member.data(), member.size()), static_cast<ssize_t>(member.size()));
    auto r = CaptureReader::open("/dev/fd/" + std::to_string(fds[0]));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->was_gzip());
    auto dropped = std::async(std::launch::async, [reader = std::move(*r)]() mutable { auto gone = std::move(reader); });
    const bool let_go = dropped.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    ::close(fds[1]);  // else a reader that waits would wait on, and the test with it
    dropped.wait();
    ::close(fds[0]);
    EXPECT_TRUE(let_go) << "the reader waited on the quiet writer";
}

TEST(CaptureStream, a_second_reader_starts_a_file_over_and_is_refused_for_a_pipe) {
    const auto pcap = long_pcap(false, 10);
    TempFile file(".pcap.gz");
    file.write(gzip(pcap));
    auto first = CaptureReader::open(file.path());
    ASSERT_TRUE(first.ok());
    Frame f;
    ASSERT_TRUE(*first->next(f));
    auto again = first->another();
    ASSERT_TRUE(again.ok()) << again.error().message;
    const Seen s = seen(std::move(again));
    EXPECT_EQ(s.frames.size(), 10u);
    EXPECT_TRUE(s == seen(CaptureReader::open(file.path())));

    Pipe pipe{pcap};
    auto piped = CaptureReader::open(pipe.path());
    ASSERT_TRUE(piped.ok());
    auto refused = piped->another();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message, pipe.path() + ": a stream (stdin, a pipe) is read once, by one reader");
    seen(std::move(piped));  // the writer's end drained
}
