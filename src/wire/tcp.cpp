#include "wire/tcp.hpp"

#include <array>
#include <cstring>
#include <string>

#include "wire/checksum.hpp"

namespace teardown::wire {

std::string TcpFlags::to_tcpdump() const {
    // tcpdump's letters and order: S F R P U E W, then '.' for ACK.
    std::string out;
    if (syn_set()) out += 'S';
    if (fin_set()) out += 'F';
    if (rst_set()) out += 'R';
    if (psh_set()) out += 'P';
    if (urg_set()) out += 'U';
    if (has(ece)) out += 'E';
    if (has(cwr)) out += 'W';
    if (ack_set()) out += '.';
    return out.empty() ? "none" : out;
}

Error TcpView::diagnose(std::span<const std::byte> captured, std::size_t segment_length) {
    if (segment_length < k_min_header)
        return Error::bad_length("tcp: segment length " + std::to_string(segment_length) +
                                 " from the IP header is below the 20-byte TCP header");
    if (captured.size() < k_min_header)
        return Error::truncated("tcp: header needs 20 bytes, " + std::to_string(captured.size()) + " captured");
    const std::size_t header_len = (std::to_integer<std::size_t>(captured[12]) >> 4) * 4;
    if (header_len < k_min_header)
        return Error::bad_value("tcp: data offset " + std::to_string(header_len / 4) + " is below 5");
    if (header_len > segment_length)
        return Error::bad_length("tcp: data offset " + std::to_string(header_len / 4) + " (" +
                                 std::to_string(header_len) + " bytes) exceeds the segment length " +
                                 std::to_string(segment_length));
    return Error::truncated("tcp: header of " + std::to_string(header_len) + " bytes is cut at " +
                            std::to_string(std::min(captured.size(), segment_length)) + " by the capture");
}

Result<TcpRepr> TcpView::to_repr() const {
    TcpRepr r;
    r.src_port = src_port();
    r.dst_port = dst_port();
    r.seq = seq();
    r.ack = ack();
    r.flags = flags();
    r.window = window();
    r.urgent = urgent();
    auto it = option_iterator();
    TcpOptionView o;
    while (it.next(o)) {
        const std::size_t n = o.data.size();
        auto bad = [&](const char* name) {
            return Error::bad_length(std::string{"tcp: option "} + name + " has length " + std::to_string(n + 2));
        };
        switch (o.kind) {
        case tcp_option::eol:
        case tcp_option::nop:
            break;
        case tcp_option::mss:
            if (n != 2) return bad("mss");
            r.options.mss = load_be16(o.data.data());
            break;
        case tcp_option::window_scale:
            if (n != 1) return bad("window scale");
            r.options.window_scale = load_u8(o.data.data());
            break;
        case tcp_option::sack_permitted:
            if (n != 0) return bad("sack-permitted");
            r.options.sack_permitted = true;
            break;
        case tcp_option::sack:
            if (n == 0 || n % 8 != 0) return bad("sack");
            for (std::size_t i = 0; i < n; i += 8)
                r.options.sack_blocks.push_back({SeqNum{load_be32(o.data.data() + i)}, SeqNum{load_be32(o.data.data() + i + 4)}});
            break;
        case tcp_option::timestamps:
            if (n != 8) return bad("timestamps");
            r.options.timestamps = Timestamps{load_be32(o.data.data()), load_be32(o.data.data() + 4)};
            break;
        default: {
            UnknownOption u;
            u.kind = o.kind;
            for (auto b : o.data) u.data.push_back(std::to_integer<std::uint8_t>(b));
            r.options.unknown.push_back(std::move(u));
            break;
        }
        }
    }
    if (it.malformed())
        return Error::bad_length("tcp: option at offset " + std::to_string(k_min_header + it.offset()) +
                                 " has a length below 2 or past the header");
    return r;
}

namespace {

// Writes the options (when `out` is non-null) and returns their padded length.
// Up to 60 bytes are produced so callers can detect options over 40 bytes.
class OptionWriter {
public:
    void u8(std::uint8_t v) { if (n_ < buf_.size()) buf_[n_] = std::byte{v}; ++n_; }
    void u16(std::uint16_t v) { u8(static_cast<std::uint8_t>(v >> 8)); u8(static_cast<std::uint8_t>(v)); }
    void u32(std::uint32_t v) { u16(static_cast<std::uint16_t>(v >> 16)); u16(static_cast<std::uint16_t>(v)); }
    void nop() { u8(tcp_option::nop); }
    void mss(std::uint16_t v) { u8(tcp_option::mss); u8(4); u16(v); }
    void window_scale(std::uint8_t v) { u8(tcp_option::window_scale); u8(3); u8(v); }
    void sack_permitted() { u8(tcp_option::sack_permitted); u8(2); }
    void timestamps(const Timestamps& ts) { u8(tcp_option::timestamps); u8(10); u32(ts.val); u32(ts.ecr); }
    void sack(const std::vector<SackBlock>& blocks) {
        u8(tcp_option::sack);
        u8(static_cast<std::uint8_t>(2 + 8 * blocks.size()));
        for (const auto& b : blocks) { u32(b.left.raw()); u32(b.right.raw()); }
    }
    void unknown(const UnknownOption& o) {
        u8(o.kind);
        u8(static_cast<std::uint8_t>(2 + o.data.size()));
        for (auto b : o.data) u8(b);
    }
    // RFC 9293 §3.1: the header is padded with zeros to a 32-bit boundary.
    void pad() { while (n_ % 4 != 0) u8(tcp_option::eol); }
    std::size_t size() const { return n_; }
    const std::byte* data() const { return buf_.data(); }

private:
    std::array<std::byte, 320> buf_{};
    std::size_t n_{0};
};

void write_options(const TcpOptions& o, OptionLayout layout, OptionWriter& w) {
    if (o.mss) w.mss(*o.mss);
    switch (layout) {
    case OptionLayout::rfc:
        if (o.window_scale) { w.nop(); w.window_scale(*o.window_scale); }
        if (o.sack_permitted) { w.nop(); w.nop(); w.sack_permitted(); }
        if (o.timestamps) { w.nop(); w.nop(); w.timestamps(*o.timestamps); }
        break;
    case OptionLayout::linux:
        // Linux's SYN: MSS, SACK-permitted folded with TS into 12 bytes, NOP window scale.
        if (o.sack_permitted && o.timestamps) { w.sack_permitted(); w.timestamps(*o.timestamps); }
        else if (o.timestamps) { w.nop(); w.nop(); w.timestamps(*o.timestamps); }
        else if (o.sack_permitted) { w.nop(); w.nop(); w.sack_permitted(); }
        if (o.window_scale) { w.nop(); w.window_scale(*o.window_scale); }
        break;
    }
    if (!o.sack_blocks.empty()) { w.nop(); w.nop(); w.sack(o.sack_blocks); }
    for (const auto& u : o.unknown) w.unknown(u);
    w.pad();
}

} // namespace

std::size_t tcp_options_length(const TcpOptions& options, OptionLayout layout) {
    OptionWriter w;
    write_options(options, layout, w);
    return w.size();
}

Result<std::size_t> emit_tcp(const TcpRepr& repr, OptionLayout layout, std::span<const std::byte> payload,
                             const IpAddress& src, const IpAddress& dst, std::span<std::byte> out) {
    OptionWriter w;
    write_options(repr.options, layout, w);
    if (w.size() > 40)
        return Error::bad_length("tcp: options need " + std::to_string(w.size()) + " bytes, at most 40 fit");
    for (const auto& u : repr.options.unknown)
        if (u.data.size() > 38) return Error::bad_length("tcp: unknown option " + std::to_string(u.kind) + " is too long");
    const std::size_t header = TcpView::k_min_header + w.size();
    const std::size_t total = header + payload.size();
    if (out.size() < total)
        return Error::bad_length("tcp: segment needs " + std::to_string(total) + " bytes, buffer has " +
                                 std::to_string(out.size()));
    std::byte* p = out.data();
    store_be16(p, repr.src_port);
    store_be16(p + 2, repr.dst_port);
    store_be32(p + 4, repr.seq.raw());
    store_be32(p + 8, repr.ack.raw());
    store_u8(p + 12, static_cast<std::uint8_t>((header / 4) << 4));
    store_u8(p + 13, repr.flags.bits());
    store_be16(p + 14, repr.window);
    store_be16(p + 16, 0);
    store_be16(p + 18, repr.urgent);
    if (w.size() > 0) std::memcpy(p + TcpView::k_min_header, w.data(), w.size());
    if (!payload.empty()) std::memcpy(p + header, payload.data(), payload.size());
    const std::uint64_t sum = pseudo_header_sum(src, dst, 6, static_cast<std::uint32_t>(total));
    store_be16(p + 16, checksum_finish(checksum_add(sum, {p, total})));
    return total;
}

bool tcp_checksum_valid(std::span<const std::byte> segment, const IpAddress& src, const IpAddress& dst) {
    const std::uint64_t sum = pseudo_header_sum(src, dst, 6, static_cast<std::uint32_t>(segment.size()));
    return checksum_finish(checksum_add(sum, segment)) == 0;
}

} // namespace teardown::wire
