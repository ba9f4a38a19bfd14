#include "capture/capture_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "wire/bytes.hpp"

namespace teardown::capture {

using wire::load_be16;
using wire::load_be32;
using wire::load_le16;
using wire::load_le32;

namespace {

constexpr std::uint32_t k_pcap_usec = 0xA1B2C3D4;
constexpr std::uint32_t k_pcap_nsec = 0xA1B23C4D;
constexpr std::uint32_t k_pcapng_shb = 0x0A0D0D0A;
constexpr std::uint32_t k_pcapng_byte_order = 0x1A2B3C4D;
constexpr std::size_t k_pcap_header = 24;
constexpr std::size_t k_pcap_record = 16;

namespace block {
constexpr std::uint32_t interface_description = 1;
constexpr std::uint32_t obsolete_packet = 2;
constexpr std::uint32_t simple_packet = 3;
constexpr std::uint32_t enhanced_packet = 6;
} // namespace block

std::string hex4(std::span<const std::byte> b) {
    char out[16];
    std::snprintf(out, sizeof out, "%02x %02x %02x %02x", std::to_integer<unsigned>(b[0]), std::to_integer<unsigned>(b[1]),
                  std::to_integer<unsigned>(b[2]), std::to_integer<unsigned>(b[3]));
    return out;
}

std::uint64_t pow10(unsigned n) {
    std::uint64_t v = 1;
    while (n-- > 0) v *= 10;
    return v;
}

} // namespace

Result<CaptureReader> CaptureReader::open(const std::string& path) {
    auto file = FileBytes::open(path);
    if (!file) return file.error();
    auto stream = file->stream();
    std::string name = file->name();
    return start(std::move(*file), std::move(stream), std::move(name));
}

Result<CaptureReader> CaptureReader::from_memory(std::span<const std::byte> bytes, std::string name) {
    return start(FileBytes::borrow(bytes), nullptr, std::move(name));
}

Result<CaptureReader> CaptureReader::from_stream(std::unique_ptr<ByteStream> stream, std::string name) {
    return start(FileBytes{}, std::move(stream), std::move(name));
}

Result<CaptureReader> CaptureReader::another() const {
    if (read_once())
        return Error::unsupported(name_ + ": a stream (stdin, a pipe) is read once, by one reader");
    FileBytes file = file_;
    auto stream = file.stream();
    return start(std::move(file), std::move(stream), name_);
}

Result<CaptureReader> CaptureReader::start(FileBytes file, std::unique_ptr<ByteStream> stream, std::string name) {
    CaptureReader r;
    r.file_ = std::move(file);
    r.name_ = std::move(name);
    if (stream) {
        r.stream_ = std::move(stream);
        r.window_.resize(k_window);
        r.data_ = {r.window_.data(), 0};
        if (auto f = r.fill(k_pcap_header); !f) return f.error();
    } else {
        r.data_ = r.file_.bytes();
    }
    if (r.data_.size() < 4) return Error::truncated(r.name_ + ": " + std::to_string(r.data_.size()) + " bytes, too short for a capture");
    const std::uint32_t le = load_le32(r.data_.data());
    const std::uint32_t be = load_be32(r.data_.data());
    if (le == k_pcap_usec || le == k_pcap_nsec || be == k_pcap_usec || be == k_pcap_nsec) {
        r.format_ = CaptureFormat::pcap;
        r.big_endian_ = (be == k_pcap_usec || be == k_pcap_nsec);
        r.nanosecond_ = (r.big_endian_ ? be : le) == k_pcap_nsec;
        if (r.data_.size() < k_pcap_header)
            return Error::truncated(r.name_ + ": pcap file header needs 24 bytes, the file has " + std::to_string(r.data_.size()));
        InterfaceInfo ifc;
        ifc.snaplen = r.u32(r.data_.data() + 16);
        // The upper bits of the link-type field carry FCS length flags (pcap spec §4).
        ifc.link = r.u32(r.data_.data() + 20) & 0x0FFFFFFF;
        ifc.tsresol_exp = r.nanosecond_ ? 9 : 6;
        ifc.tick_nanos = r.nanosecond_ ? 1 : 1000;
        r.interfaces_.push_back(ifc);
        r.pcap_link_ = static_cast<wire::LinkType>(ifc.link);
        r.pos_ = k_pcap_header;
        return r;
    }
    if (le == k_pcapng_shb) {
        r.format_ = CaptureFormat::pcapng;
        r.pos_ = 0;
        return r;
    }
    return Error::bad_value(r.name_ + ": not a pcap or pcapng file (starts with " + hex4(r.data_) + ")");
}


// In a stream, `n` bytes on from pos_ in the window where the stream
// holds as many: what is left of the window moves to its start, and more is
// read after it (as much as comes at once, up to the window's end).
Result<void> CaptureReader::fill(std::size_t n) {
    if (!stream_ || data_.size() - pos_ >= n || stream_over_) return {};
    const std::size_t kept = data_.size() - pos_;
    std::memmove(window_.data(), window_.data() + pos_, kept);
    base_ += pos_;
    pos_ = 0;
    if (window_.size() < n) window_.resize(std::max(n, 2 * window_.size()));
    std::size_t have = kept;
    Result<void> out;
    while (have < n) {
        auto got = stream_->read(std::span{window_}.subspan(have));
        if (!got) {
            out = got.error();
            break;
        }
        if (*got == 0) {
            stream_over_ = true;
            warning_ = stream_->warning();  // why it ended early, if it did
            break;
        }
        have += *got;
    }
    data_ = {window_.data(), have};
    return out;
}

// `at`: the offset in the file.
Error CaptureReader::lie(std::uint64_t at, const std::string& what) const {
    return Error::bad_length(name_ + ": " + (format_ == CaptureFormat::pcap ? "pcap record" : "pcapng block") +
                             " at offset " + std::to_string(at) + ": " + what);
}

bool CaptureReader::cut_short(std::uint64_t at, const std::string& what) {
    // A stream that ended early said why (gzip damaged): that is the cause.
    if (!warning_) warning_ = Warning{at, name_ + ": truncated at offset " + std::to_string(at) + ": " + what};
    done_ = true;
    return false;
}

Result<bool> CaptureReader::next_slow(Frame& frame) {
    if (done_) return false;
    return format_ == CaptureFormat::pcap ? next_pcap(frame) : next_pcapng(frame);
}

Result<bool> CaptureReader::next_pcap(Frame& frame) {
    if (auto f = fill(k_pcap_record); !f) return f.error();
    const std::uint64_t at = offset();
    std::uint64_t left = data_.size() - pos_;
    if (left == 0) {
        done_ = true;
        return false;
    }
    if (left < k_pcap_record)
        return cut_short(at, "record header needs 16 bytes, " + std::to_string(left) + " remain");
    const std::uint32_t incl = u32(data_.data() + pos_ + 8);
    if (incl > k_max_record) return lie(at, "captured length " + std::to_string(incl) + " exceeds 256 KiB");
    if (auto f = fill(k_pcap_record + incl); !f) return f.error();
    left = data_.size() - pos_;
    if (left - k_pcap_record < incl)
        return cut_short(at, "record header says " + std::to_string(incl) + " bytes, " +
                                 std::to_string(left - k_pcap_record) + " remain");
    const std::byte* h = data_.data() + pos_;
    const std::uint32_t sec = u32(h);
    const std::uint32_t frac = u32(h + 4);
    const std::uint32_t orig = u32(h + 12);
    frame.ts = Instant::from_seconds(sec) + Duration::nanos(nanosecond_ ? frac : std::int64_t{frac} * 1000);
    frame.link = static_cast<wire::LinkType>(interfaces_.front().link);
    frame.interface_id = 0;
    frame.orig_len = std::max(orig, incl);
    frame.data = data_.subspan(pos_ + k_pcap_record, incl);
    frame.offset = at;
    pos_ += k_pcap_record + incl;
    return true;
}

Instant CaptureReader::pcapng_time_divided(const InterfaceInfo& ifc, std::uint64_t ticks) {
    std::int64_t ns = 0;
    if (ifc.tsresol_base2) {
        // ticks / 2^exp seconds, kept exact in 128-bit arithmetic.
        __extension__ typedef unsigned __int128 u128;
        const u128 scaled = static_cast<u128>(ticks) * 1'000'000'000u;
        ns = static_cast<std::int64_t>(ifc.tsresol_exp >= 64 ? 0 : scaled >> ifc.tsresol_exp);
    } else {
        ns = static_cast<std::int64_t>(ticks / pow10(ifc.tsresol_exp - 9u));
    }
    return Instant::from_nanos(ns) + Duration::seconds(ifc.tsoffset_seconds);
}

Result<void> CaptureReader::read_section_header(std::uint64_t at, std::uint32_t block_len) {
    if (block_len < 28) return lie(at, "section header length " + std::to_string(block_len) + " is below 28");
    interfaces_.clear();  // interface ids are numbered per section
    ++interface_changes_;
    return {};
}

Result<void> CaptureReader::read_interface(std::span<const std::byte> body, std::uint64_t at) {
    if (body.size() < 8) return lie(at, "interface description body is " + std::to_string(body.size()) + " bytes, needs 8");
    InterfaceInfo ifc;
    ifc.link = u16(body.data());
    ifc.snaplen = u32(body.data() + 4);
    // Options (pcapng §3.5): code, length, value padded to 4; opt_endofopt ends them.
    std::size_t o = 8;
    while (o + 4 <= body.size()) {
        const std::uint16_t code = u16(body.data() + o);
        const std::uint16_t len = u16(body.data() + o + 2);
        if (code == 0) break;
        if (o + 4 + len > body.size()) return lie(at, "interface option " + std::to_string(code) + " runs past its block");
        const std::byte* v = body.data() + o + 4;
        if (code == 2) ifc.name.assign(reinterpret_cast<const char*>(v), len);  // if_name: UTF-8 text
        if (code == 9 && len >= 1) {
            const auto r = std::to_integer<std::uint8_t>(v[0]);
            ifc.tsresol_base2 = (r & 0x80) != 0;
            ifc.tsresol_exp = r & 0x7F;
            if ((!ifc.tsresol_base2 && ifc.tsresol_exp > 18) || (ifc.tsresol_base2 && ifc.tsresol_exp > 63))
                return lie(at, "interface timestamp resolution " + std::to_string(r) + " is out of range");
        }
        if (code == 14 && len >= 8) {
            const std::uint64_t hi = u32(v), lo = u32(v + 4);
            ifc.tsoffset_seconds = static_cast<std::int64_t>(big_endian_ ? (hi << 32 | lo) : (lo << 32 | hi));
        }
        o += 4 + ((len + 3u) & ~3u);
    }
    ifc.tick_nanos = !ifc.tsresol_base2 && ifc.tsresol_exp <= 9 ? pow10(9u - ifc.tsresol_exp) : 0;
    interfaces_.push_back(std::move(ifc));
    ++interface_changes_;
    return {};
}

Result<bool> CaptureReader::next_pcapng(Frame& frame) {
    for (;;) {
        if (auto f = fill(12); !f) return f.error();
        const std::uint64_t at = offset();
        std::uint64_t left = data_.size() - pos_;
        if (left == 0) {
            done_ = true;
            return false;
        }
        if (left < 12) return cut_short(at, "block header needs 12 bytes, " + std::to_string(left) + " remain");
        const std::byte* b = data_.data() + pos_;
        const std::uint32_t type = load_le32(b);  // the SHB type reads the same in both orders
        if (type == k_pcapng_shb) {
            // The byte-order magic decides how to read this section, its own length included.
            const std::uint32_t magic_le = load_le32(b + 8);
            if (magic_le == k_pcapng_byte_order) big_endian_ = false;
            else if (load_be32(b + 8) == k_pcapng_byte_order) big_endian_ = true;
            else return lie(at, "section header byte-order magic is " + hex4(data_.subspan(pos_ + 8, 4)));
        }
        const std::uint32_t len = u32(b + 4);
        if (len < 12) return lie(at, "block length " + std::to_string(len) + " is below 12");
        if (len % 4 != 0) return lie(at, "block length " + std::to_string(len) + " is not a multiple of 4");
        if (stream_ && len > k_max_streamed_block)
            return Error::unsupported(name_ + ": pcapng block at offset " + std::to_string(at) + ": block length " +
                                      std::to_string(len) + " exceeds the 64 MiB a block of a stream may take");
        if (auto f = fill(len); !f) return f.error();
        left = data_.size() - pos_;
        b = data_.data() + pos_;
        if (len > left)
            return cut_short(at, "block length says " + std::to_string(len) + " bytes, " + std::to_string(left) + " remain");
        const std::uint32_t trailer = u32(b + len - 4);
        if (trailer != len)
            return lie(at, "block length " + std::to_string(len) + " disagrees with its trailing copy " + std::to_string(trailer));
        const auto body = data_.subspan(pos_ + 8, len - 12);
        pos_ += len;
        const std::uint32_t btype = u32(b);

        if (type == k_pcapng_shb) {
            if (auto r = read_section_header(at, len); !r) return r.error();
            continue;
        }
        switch (btype) {
        case block::interface_description:
            if (auto r = read_interface(body, at); !r) return r.error();
            continue;
        case block::enhanced_packet:
        case block::obsolete_packet: {
            if (body.size() < 20) return lie(at, "packet block body is " + std::to_string(body.size()) + " bytes, needs 20");
            const std::uint32_t ifc_id = btype == block::enhanced_packet ? u32(body.data()) : u16(body.data());
            const std::uint64_t ticks = (std::uint64_t{u32(body.data() + 4)} << 32) | u32(body.data() + 8);
            const std::uint32_t cap = u32(body.data() + 12);
            const std::uint32_t orig = u32(body.data() + 16);
            if (ifc_id >= interfaces_.size())
                return lie(at, "packet names interface " + std::to_string(ifc_id) + " but the section has " +
                                   std::to_string(interfaces_.size()));
            if (cap > k_max_record) return lie(at, "captured length " + std::to_string(cap) + " exceeds 256 KiB");
            if (cap > body.size() - 20)
                return lie(at, "captured length " + std::to_string(cap) + " runs past the block's " +
                                   std::to_string(body.size() - 20) + " bytes of room");
            const auto& ifc = interfaces_[ifc_id];
            frame.ts = pcapng_time(ifc, ticks);
            frame.link = static_cast<wire::LinkType>(ifc.link);
            frame.interface_id = ifc_id;
            frame.orig_len = std::max(orig, cap);
            frame.data = body.subspan(20, cap);
            frame.offset = at;
            return true;
        }
        case block::simple_packet: {
            if (body.size() < 4) return lie(at, "simple packet block body is " + std::to_string(body.size()) + " bytes, needs 4");
            if (interfaces_.empty()) return lie(at, "simple packet block before any interface description");
            const auto& ifc = interfaces_.front();
            const std::uint32_t orig = u32(body.data());
            // pcapng §4.4: the captured length is the smallest of the original
            // length, the interface's snaplen and the room in the block.
            std::uint64_t cap = std::min<std::uint64_t>(orig, body.size() - 4);
            if (ifc.snaplen != 0) cap = std::min<std::uint64_t>(cap, ifc.snaplen);
            if (cap > k_max_record) return lie(at, "captured length " + std::to_string(cap) + " exceeds 256 KiB");
            frame.ts = Instant{};  // a simple packet block carries no timestamp
            frame.link = static_cast<wire::LinkType>(ifc.link);
            frame.interface_id = 0;
            frame.orig_len = std::max<std::uint32_t>(orig, static_cast<std::uint32_t>(cap));
            frame.data = body.subspan(4, static_cast<std::size_t>(cap));
            frame.offset = at;
            return true;
        }
        default:
            ++skipped_blocks_;  // name resolution, statistics, custom and unknown blocks
            continue;
        }
    }
}

} // namespace teardown::capture
