#include "capture/pcap_writer.hpp"

#include <cerrno>
#include <cstring>

#include "wire/bytes.hpp"

namespace teardown::capture {

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f != nullptr) std::fclose(f);
    }
};

Error write_error(const std::string& path) { return Error::io(path + ": cannot write: " + std::strerror(errno)); }

void le16(std::vector<std::byte>& b, std::uint16_t v) {
    b.push_back(std::byte(static_cast<unsigned char>(v)));
    b.push_back(std::byte(static_cast<unsigned char>(v >> 8)));
}
void le32(std::vector<std::byte>& b, std::uint32_t v) {
    le16(b, static_cast<std::uint16_t>(v));
    le16(b, static_cast<std::uint16_t>(v >> 16));
}
void pad4(std::vector<std::byte>& b) {
    while (b.size() % 4 != 0) b.push_back(std::byte{0});
}
void option(std::vector<std::byte>& b, std::uint16_t code, std::span<const std::byte> value) {
    le16(b, code);
    le16(b, static_cast<std::uint16_t>(value.size()));
    b.insert(b.end(), value.begin(), value.end());
    pad4(b);
}
std::span<const std::byte> text(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

// Wraps a body as a block: type, total length, body, total length (pcapng §3.1).
std::vector<std::byte> make_block(std::uint32_t type, std::vector<std::byte> body) {
    pad4(body);
    std::vector<std::byte> b;
    const auto len = static_cast<std::uint32_t>(body.size() + 12);
    le32(b, type);
    le32(b, len);
    b.insert(b.end(), body.begin(), body.end());
    le32(b, len);
    return b;
}

std::uint64_t ticks_of(Instant ts, std::uint8_t tsresol) {
    const auto ns = static_cast<std::uint64_t>(ts.nanos());
    if (tsresol & 0x80) {
        __extension__ typedef unsigned __int128 u128;
        return static_cast<std::uint64_t>((static_cast<u128>(ns) << (tsresol & 0x7F)) / 1'000'000'000u);
    }
    std::uint64_t div = 1;
    for (int i = tsresol; i < 9; ++i) div *= 10;
    std::uint64_t mul = 1;
    for (int i = 9; i < tsresol; ++i) mul *= 10;
    return ns / div * mul;
}

} // namespace

struct PcapWriter::File {
    std::unique_ptr<std::FILE, FileCloser> f;
};
struct PcapngWriter::File {
    std::unique_ptr<std::FILE, FileCloser> f;
};

Result<PcapWriter> PcapWriter::create(const std::string& path, wire::LinkType link, Resolution resolution,
                                      std::uint32_t snaplen) {
    PcapWriter w;
    w.path_ = path;
    w.resolution_ = resolution;
    w.snaplen_ = snaplen;
    w.file_ = std::make_shared<File>();
    w.file_->f.reset(std::fopen(path.c_str(), "wb"));
    if (!w.file_->f) return Error::io(path + ": cannot create: " + std::strerror(errno));
    std::vector<std::byte> h;
    le32(h, resolution == Resolution::nanosecond ? 0xA1B23C4D : 0xA1B2C3D4);
    le16(h, 2);
    le16(h, 4);
    le32(h, 0);  // thiszone
    le32(h, 0);  // sigfigs
    le32(h, snaplen);
    le32(h, static_cast<std::uint32_t>(link));
    if (std::fwrite(h.data(), 1, h.size(), w.file_->f.get()) != h.size()) return write_error(path);
    return w;
}

Result<void> PcapWriter::write(Instant ts, std::span<const std::byte> frame, std::uint32_t orig_len) {
    if (!file_ || !file_->f) return Error::state(path_ + ": write after close");
    const auto incl = static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), snaplen_));
    const std::int64_t ns = ts.nanos();
    std::vector<std::byte> h;
    h.reserve(16);
    le32(h, static_cast<std::uint32_t>(ns / 1'000'000'000));
    const auto frac = static_cast<std::uint32_t>(ns % 1'000'000'000);
    le32(h, resolution_ == Resolution::nanosecond ? frac : frac / 1000);
    le32(h, incl);
    le32(h, std::max<std::uint32_t>(orig_len, static_cast<std::uint32_t>(frame.size())));
    if (std::fwrite(h.data(), 1, h.size(), file_->f.get()) != h.size() ||
        std::fwrite(frame.data(), 1, incl, file_->f.get()) != incl)
        return write_error(path_);
    ++frames_;
    return {};
}

Result<void> PcapWriter::close() {
    if (!file_ || !file_->f) return {};
    std::FILE* f = file_->f.release();
    if (std::fclose(f) != 0) return write_error(path_);
    return {};
}

Result<PcapngWriter> PcapngWriter::create(const std::string& path, std::vector<Interface> interfaces) {
    PcapngWriter w;
    w.path_ = path;
    w.interfaces_ = std::move(interfaces);
    w.file_ = std::make_shared<File>();
    w.file_->f.reset(std::fopen(path.c_str(), "wb"));
    if (!w.file_->f) return Error::io(path + ": cannot create: " + std::strerror(errno));
    std::vector<std::byte> shb;
    le32(shb, 0x1A2B3C4D);
    le16(shb, 1);
    le16(shb, 0);
    le32(shb, 0xFFFFFFFF);  // section length unknown (-1)
    le32(shb, 0xFFFFFFFF);
    if (auto r = w.put(make_block(0x0A0D0D0A, shb)); !r) return r.error();
    for (const auto& ifc : w.interfaces_) {
        std::vector<std::byte> idb;
        le16(idb, static_cast<std::uint16_t>(ifc.link));
        le16(idb, 0);
        le32(idb, ifc.snaplen);
        if (!ifc.name.empty()) option(idb, 2, text(ifc.name));
        const std::byte res{ifc.tsresol};
        option(idb, 9, std::span{&res, 1});
        le32(idb, 0);  // opt_endofopt
        if (auto r = w.put(make_block(1, idb)); !r) return r.error();
    }
    return w;
}

Result<void> PcapngWriter::put(const std::vector<std::byte>& block) {
    if (!file_ || !file_->f) return Error::state(path_ + ": write after close");
    if (std::fwrite(block.data(), 1, block.size(), file_->f.get()) != block.size()) return write_error(path_);
    return {};
}

Result<void> PcapngWriter::write(std::uint32_t interface_id, Instant ts, std::span<const std::byte> frame,
                                 std::uint32_t orig_len, const std::string& comment) {
    if (interface_id >= interfaces_.size())
        return Error::bad_value(path_ + ": no interface " + std::to_string(interface_id));
    const auto& ifc = interfaces_[interface_id];
    const auto cap = static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), ifc.snaplen));
    const std::uint64_t ticks = ticks_of(ts, ifc.tsresol);
    std::vector<std::byte> epb;
    epb.reserve(32 + cap);
    le32(epb, interface_id);
    le32(epb, static_cast<std::uint32_t>(ticks >> 32));
    le32(epb, static_cast<std::uint32_t>(ticks));
    le32(epb, cap);
    le32(epb, std::max<std::uint32_t>(orig_len, static_cast<std::uint32_t>(frame.size())));
    epb.insert(epb.end(), frame.begin(), frame.begin() + cap);
    pad4(epb);
    if (!comment.empty()) {
        option(epb, 1, text(comment));  // opt_comment
        le32(epb, 0);
    }
    return put(make_block(6, std::move(epb)));
}

Result<void> PcapngWriter::write_block(std::uint32_t type, std::span<const std::byte> body) {
    return put(make_block(type, std::vector<std::byte>(body.begin(), body.end())));
}

Result<void> PcapngWriter::close() {
    if (!file_ || !file_->f) return {};
    std::FILE* f = file_->f.release();
    if (std::fclose(f) != 0) return write_error(path_);
    return {};
}

} // namespace teardown::capture
