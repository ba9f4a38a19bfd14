#pragma once
// A checked view of a TCP header (RFC 9293 §3.1) with its options walked in
// order, its conversion to the owning TcpRepr, and the builder that writes a
// TcpRepr with its payload and checksum into a buffer.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "core/seq_num.hpp"
#include "wire/bytes.hpp"
#include "wire/ip_address.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::wire {

namespace tcp_option {
inline constexpr std::uint8_t eol = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
} // namespace tcp_option

// One option as it stands in the header: its kind and the bytes after its kind
// and length octets (none for EOL and NOP).
struct TcpOptionView {
    std::uint8_t kind{0};
    std::span<const std::byte> data;
};

// Walks the option bytes in order. A malformed option (a length below 2 or
// past the end) ends the walk with malformed() set; EOL ends it normally.
class TcpOptionIterator {
public:
    explicit TcpOptionIterator(std::span<const std::byte> options) : rest_{options} {}
    // The next option, or false at the end (check malformed()). Inline: the
    // analyzer walks the options of every SYN it reads, by the hundred thousand.
    bool next(TcpOptionView& out) {
        if (ended_ || malformed_ || rest_.empty()) return false;
        const auto kind = std::to_integer<std::uint8_t>(rest_[0]);
        if (kind == tcp_option::eol) {
            // RFC 9293 §3.2: End of Option List; what follows is padding.
            ended_ = true;
            out = {kind, {}};
            return true;
        }
        if (kind == tcp_option::nop) {
            out = {kind, {}};
            rest_ = rest_.subspan(1);
            ++consumed_;
            return true;
        }
        if (rest_.size() < 2) {
            malformed_ = true;
            return false;
        }
        const auto len = std::to_integer<std::size_t>(rest_[1]);
        if (len < 2 || len > rest_.size()) {
            malformed_ = true;
            return false;
        }
        out = {kind, rest_.subspan(2, len - 2)};
        rest_ = rest_.subspan(len);
        consumed_ += len;
        return true;
    }
    bool malformed() const { return malformed_; }
    std::size_t offset() const { return consumed_; }

private:
    std::span<const std::byte> rest_;
    std::size_t consumed_{0};
    bool malformed_{false};
    bool ended_{false};
};

class TcpView {
public:
    static constexpr std::size_t k_min_header = 20;

    // `captured`: the segment's bytes as far as the capture holds them;
    // `segment_length`: its length per the IP header. The header itself must be
    // whole; the payload may be cut by the snapshot length.
    static Result<TcpView> parse(std::span<const std::byte> captured, std::size_t segment_length) {
        // The common, well-formed case inline; diagnose() says what is wrong otherwise.
        if (segment_length >= k_min_header && captured.size() >= k_min_header) {
            const std::size_t header_len = (std::to_integer<std::size_t>(captured[12]) >> 4) * 4;
            const std::size_t kept = captured.size() < segment_length ? captured.size() : segment_length;
            if (header_len >= k_min_header && header_len <= kept) {
                TcpView v;
                v.bytes_ = captured.first(kept);
                v.segment_length_ = segment_length;
                v.header_len_ = header_len;
                return v;
            }
        }
        return diagnose(captured, segment_length);
    }

    std::uint16_t src_port() const { return load_be16(p()); }
    std::uint16_t dst_port() const { return load_be16(p() + 2); }
    SeqNum seq() const { return SeqNum{load_be32(p() + 4)}; }
    SeqNum ack() const { return SeqNum{load_be32(p() + 8)}; }
    std::size_t header_length() const { return header_len_; }
    TcpFlags flags() const { return TcpFlags{load_u8(p() + 13)}; }
    bool ns_flag() const { return load_u8(p() + 12) & 0x01; }  // RFC 3540, historic
    std::uint16_t window() const { return load_be16(p() + 14); }
    std::uint16_t checksum() const { return load_be16(p() + 16); }
    std::uint16_t urgent() const { return load_be16(p() + 18); }
    std::span<const std::byte> options() const { return bytes_.subspan(k_min_header, header_len_ - k_min_header); }
    TcpOptionIterator option_iterator() const { return TcpOptionIterator{options()}; }
    // The payload length the IP header declares, and the part of it captured.
    std::size_t payload_length() const { return segment_length_ - header_len_; }
    std::span<const std::byte> payload() const { return bytes_.subspan(header_len_); }
    bool payload_complete() const { return bytes_.size() == segment_length_; }
    // The whole segment as captured (header and captured payload).
    std::span<const std::byte> bytes() const { return bytes_; }

    // The owning description; an error when an option is malformed.
    Result<TcpRepr> to_repr() const;

private:
    [[gnu::cold]] static Error diagnose(std::span<const std::byte> captured, std::size_t segment_length);
    const std::byte* p() const { return bytes_.data(); }
    std::span<const std::byte> bytes_;  // header and captured payload, never past segment_length
    std::size_t header_len_{0};
    std::size_t segment_length_{0};
};

// The option bytes emit_tcp would write for these options, padded to 4.
std::size_t tcp_options_length(const TcpOptions& options, OptionLayout layout);

// Writes header, options, payload and the checksum over the pseudo-header of
// src and dst into `out`; returns the segment length. Errors: options over 40
// bytes, or `out` too small.
Result<std::size_t> emit_tcp(const TcpRepr& repr, OptionLayout layout, std::span<const std::byte> payload,
                             const IpAddress& src, const IpAddress& dst, std::span<std::byte> out);

// Whether the checksum of a whole captured segment is right.
bool tcp_checksum_valid(std::span<const std::byte> segment, const IpAddress& src, const IpAddress& dst);

} // namespace teardown::wire
