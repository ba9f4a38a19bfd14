#pragma once
// Reads classic pcap (both byte orders, micro- and nanosecond) and pcapng
// (sections of either byte order, several interfaces with their own link
// types and timestamp resolutions, enhanced, simple and obsolete packet
// blocks, unknown blocks skipped), plain or gzip-compressed. A regular file's
// frames are read straight out of its mapping without copying them; a
// stream's (gzip, a pipe, stdin: byte_stream.hpp) out of a window of it
// that moves on as they are read, so memory stays bounded either way.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/byte_stream.hpp"
#include "capture/file_bytes.hpp"
#include "capture/frame.hpp"
#include "core/result.hpp"
#include "wire/bytes.hpp"

namespace teardown::capture {

enum class CaptureFormat : std::uint8_t { pcap, pcapng };

struct InterfaceInfo {
    std::uint32_t link{0};            // LINKTYPE_ value as stored
    std::uint32_t snaplen{0};
    std::string name;
    // if_tsresol: units per second are 10^exp, or 2^exp when base2.
    std::uint8_t tsresol_exp{6};
    bool tsresol_base2{false};
    std::int64_t tsoffset_seconds{0};
    // Nanoseconds a tick, when that is a whole number (a decimal resolution
    // of nanoseconds or coarser, as nearly every capture has); else 0.
    std::uint64_t tick_nanos{1000};
};

class CaptureReader {
public:
    // "-" is stdin.
    static Result<CaptureReader> open(const std::string& path);
    // For tests and fuzzing: reads `bytes` in place; they must outlive the reader.
    static Result<CaptureReader> from_memory(std::span<const std::byte> bytes, std::string name);
    // For tests and fuzzing: reads a stream as it comes.
    static Result<CaptureReader> from_stream(std::unique_ptr<ByteStream> stream, std::string name);

    CaptureReader(CaptureReader&&) = default;
    CaptureReader& operator=(CaptureReader&&) = default;
    // A second reader of the same capture from its start (a thread's own):
    // a file or memory is read again, a stream (stdin, a pipe) cannot be.
    Result<CaptureReader> another() const;
    // Read through a window (a pipe, gzip), not in place.
    bool streamed() const { return stream_ != nullptr; }
    bool read_once() const { return !file_.rereadable(); }

    // true and a frame; false at the end (clean, or cut short: see warning());
    // an Error when the file lies about its own structure. A stream's frame
    // lasts until the next call; a mapped file's as long as the reader.
    Result<bool> next(Frame& frame) {
        // A whole pcap record or pcapng packet block, the common case, is
        // read inline (as feed_records reads them); the rest (other blocks,
        // the end of the file, lies) goes the long way.
        if (feed_records([&](const Frame& f) { frame = f; }, 1) == 1) return true;
        return next_slow(frame);
    }
    // The frames from here on that are whole pcap records or pcapng
    // enhanced packet blocks, each to `feed(frame)` in a loop of its own, up
    // to `most` of them: what next() gives them, with the file's byte order
    // (and a pcap's time unit) settled once for all rather than once a
    // frame, and no Frame returned and read back each (for the analyzer, a
    // shard of which passes over most frames, the reading was most of a
    // frame's cost). Stops short where next()'s long way is needed (a
    // pcapng block of another kind, the end of a stream's window, a lie);
    // returns how many it fed.
    template <typename Feed>
    std::uint64_t feed_records(const Feed& feed, std::uint64_t most) {
        if (format_ == CaptureFormat::pcapng) return big_endian_ ? packet_blocks<true>(feed, most) : packet_blocks<false>(feed, most);
        if (big_endian_) return nanosecond_ ? records<true, true>(feed, most) : records<true, false>(feed, most);
        return nanosecond_ ? records<false, true>(feed, most) : records<false, false>(feed, most);
    }

    const std::optional<Warning>& warning() const { return warning_; }
    CaptureFormat format() const { return format_; }
    const std::string& name() const { return name_; }
    // pcap: the file's link type; pcapng: the first interface's (0 when none yet).
    std::uint32_t link_type() const { return interfaces_.empty() ? 0 : interfaces_.front().link; }
    const std::vector<InterfaceInfo>& interfaces() const { return interfaces_; }
    // How many times interfaces() has changed (a pcapng section begun, an
    // interface described): what is kept of it is kept up by this.
    std::uint64_t interface_changes() const { return interface_changes_; }
    std::uint64_t skipped_blocks() const { return skipped_blocks_; }
    // For progress: the size of what it reads (a gzip file's compressed
    // bytes; 0 when not known, as of a pipe) and how far into it it is.
    std::uint64_t size() const { return stream_ ? stream_->total() : data_.size(); }
    std::uint64_t position() const { return stream_ ? stream_->consumed() : pos_; }
    bool was_gzip() const { return file_.was_gzip(); }

private:
    CaptureReader() = default;
    static constexpr std::size_t k_record_header = 16;
    // A stream is read into a window this large at first, larger for a
    // block that needs it, up to k_max_streamed_block.
    static constexpr std::size_t k_window = 1024 * 1024;
    static constexpr std::size_t k_max_streamed_block = 64 * 1024 * 1024;
    static constexpr std::size_t k_read_ahead = 1024;
    // No link layer we read carries frames this large; a bigger length is a lie.
    static constexpr std::uint32_t k_max_record = 256 * 1024;

    template <bool BigEndian, bool Nanosecond, typename Feed>
    std::uint64_t records(const Feed& feed, std::uint64_t most) {
        const std::byte* const data = data_.data();
        const std::size_t size = data_.size();
        const auto u32 = [](const std::byte* p) { return BigEndian ? wire::load_be32(p) : wire::load_le32(p); };
        std::size_t pos = pos_;
        std::uint64_t n = 0;
        for (; n < most && size - pos >= k_record_header; ++n) {
            const std::byte* h = data + pos;
            // Non-temporal: a frame is read once, so it need not push the
            // flow table out of the caches (a few % with one thread and two).
            __builtin_prefetch(h + k_read_ahead, 0, 0);
            const std::uint32_t incl = u32(h + 8);
            if (incl > k_max_record || size - pos - k_record_header < incl) break;
            const std::uint32_t orig = u32(h + 12);
            Frame frame;
            frame.ts = Instant::from_nanos(std::int64_t{u32(h)} * 1'000'000'000 + std::int64_t{u32(h + 4)} * (Nanosecond ? 1 : 1000));
            frame.link = pcap_link_;
            frame.orig_len = orig > incl ? orig : incl;
            frame.data = {h + k_record_header, incl};
            frame.offset = base_ + pos;
            pos += k_record_header + incl;
            feed(frame);
        }
        pos_ = pos;
        return n;
    }
    // The same for a pcapng section's enhanced packet blocks (pcapng §4.3),
    // checked as next_pcapng() checks them: anything else it leaves to it.
    template <bool BigEndian, typename Feed>
    std::uint64_t packet_blocks(const Feed& feed, std::uint64_t most) {
        const std::byte* const data = data_.data();
        const std::size_t size = data_.size();
        const auto u32 = [](const std::byte* p) { return BigEndian ? wire::load_be32(p) : wire::load_le32(p); };
        constexpr std::uint32_t k_enhanced_packet = 6;
        constexpr std::uint32_t k_least = 32;  // the header, interface, time, lengths and trailer
        std::size_t pos = pos_;
        std::uint64_t n = 0;
        for (; n < most && size - pos >= k_least; ++n) {
            const std::byte* b = data + pos;
            __builtin_prefetch(b + k_read_ahead, 0, 0);
            const std::uint32_t len = u32(b + 4);
            if (u32(b) != k_enhanced_packet || len < k_least || len % 4 != 0 || len > size - pos || u32(b + len - 4) != len) break;
            const std::uint32_t ifc_id = u32(b + 8);
            const std::uint32_t cap = u32(b + 20);
            if (ifc_id >= interfaces_.size() || cap > k_max_record || cap > len - k_least) break;
            const std::uint32_t orig = u32(b + 24);
            const InterfaceInfo& ifc = interfaces_[ifc_id];
            const std::uint64_t ticks = (std::uint64_t{u32(b + 12)} << 32) | u32(b + 16);
            Frame frame;
            frame.ts = pcapng_time(ifc, ticks);
            frame.link = static_cast<wire::LinkType>(ifc.link);
            frame.interface_id = ifc_id;
            frame.orig_len = orig > cap ? orig : cap;
            frame.data = {b + 28, cap};
            frame.offset = base_ + pos;
            pos += len;
            feed(frame);
        }
        pos_ = pos;
        return n;
    }
    static Result<CaptureReader> start(FileBytes file, std::unique_ptr<ByteStream> stream, std::string name);
    Result<void> fill(std::size_t n);
    std::uint64_t offset() const { return base_ + pos_; }
    Result<bool> next_slow(Frame& frame);
    Result<bool> next_pcap(Frame& frame);
    Result<bool> next_pcapng(Frame& frame);
    Result<void> read_section_header(std::uint64_t at, std::uint32_t block_len);
    Result<void> read_interface(std::span<const std::byte> body, std::uint64_t at);
    std::uint16_t u16(const std::byte* p) const { return big_endian_ ? wire::load_be16(p) : wire::load_le16(p); }
    std::uint32_t u32(const std::byte* p) const { return big_endian_ ? wire::load_be32(p) : wire::load_le32(p); }
    static Instant pcapng_time(const InterfaceInfo& ifc, std::uint64_t ticks) {
        if (ifc.tick_nanos == 0) return pcapng_time_divided(ifc, ticks);
        return Instant::from_nanos(static_cast<std::int64_t>(ticks * ifc.tick_nanos)) + Duration::seconds(ifc.tsoffset_seconds);
    }
    // Finer than nanoseconds, or in binary fractions.
    static Instant pcapng_time_divided(const InterfaceInfo& ifc, std::uint64_t ticks);
    Error lie(std::uint64_t at, const std::string& what) const;
    bool cut_short(std::uint64_t at, const std::string& what);

    FileBytes file_;
    // The bytes read in place: the mapped or borrowed file whole, or the
    // window of a stream, which begins `base_` bytes into it.
    std::span<const std::byte> data_;
    std::unique_ptr<ByteStream> stream_;
    std::vector<std::byte> window_;
    std::uint64_t base_{0};
    bool stream_over_{false};
    std::string name_;
    CaptureFormat format_{CaptureFormat::pcap};
    bool big_endian_{false};
    bool nanosecond_{false};    // pcap only
    wire::LinkType pcap_link_{wire::LinkType::ethernet};
    std::uint64_t pos_{0};
    std::vector<InterfaceInfo> interfaces_;
    std::uint64_t interface_changes_{0};
    std::uint64_t skipped_blocks_{0};
    std::optional<Warning> warning_;
    bool done_{false};
};

} // namespace teardown::capture
