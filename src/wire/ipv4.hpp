#pragma once
// A checked view of an IPv4 header (RFC 791). parse() checks every length
// once; the accessors after it cannot fail.
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/ip_address.hpp"

namespace teardown::wire {

class Ipv4View {
public:
    static constexpr std::size_t k_min_header = 20;

    // `captured`: the bytes from the IPv4 header on, as far as the capture
    // holds them; `on_wire`: how many bytes the packet really had from here
    // (the frame's original length less the link header). A total length
    // beyond the captured bytes but within on_wire is snapshot truncation, not
    // an error; beyond on_wire it is a lie.
    static Result<Ipv4View> parse(std::span<const std::byte> captured, std::size_t on_wire) {
        // The common, well-formed case inline; diagnose() says what is wrong otherwise.
        if (captured.size() >= k_min_header && (std::to_integer<unsigned>(captured[0]) >> 4) == 4) {
            const std::size_t header_len = (std::to_integer<std::size_t>(captured[0]) & 0x0F) * 4;
            const std::size_t total = load_be16(captured.data() + 2);
            if (header_len >= k_min_header && captured.size() >= header_len && total >= header_len && total <= on_wire) {
                Ipv4View v;
                v.bytes_ = captured;
                v.header_len_ = header_len;
                v.captured_end_ = total < captured.size() ? total : captured.size();
                return v;
            }
        }
        return diagnose(captured, on_wire);
    }

    std::size_t header_length() const { return header_len_; }
    std::uint16_t total_length() const { return load_be16(p() + 2); }
    std::uint8_t tos() const { return load_u8(p() + 1); }
    std::uint16_t id() const { return load_be16(p() + 4); }
    bool dont_fragment() const { return load_u8(p() + 6) & 0x40; }
    bool more_fragments() const { return load_u8(p() + 6) & 0x20; }
    std::uint16_t fragment_offset() const { return load_be16(p() + 6) & 0x1FFF; }  // in 8-byte units
    // RFC 791: any packet with MF set or a non-zero offset is a fragment.
    bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
    std::uint8_t ttl() const { return load_u8(p() + 8); }
    std::uint8_t protocol() const { return load_u8(p() + 9); }
    std::uint16_t header_checksum() const { return load_be16(p() + 10); }
    bool header_checksum_valid() const;
    IpAddress src() const { return IpAddress::v4(p() + 12); }
    IpAddress dst() const { return IpAddress::v4(p() + 16); }
    std::span<const std::byte> options() const { return bytes_.subspan(k_min_header, header_len_ - k_min_header); }
    std::span<const std::byte> header() const { return bytes_.first(header_len_); }
    // The payload bytes the capture holds, never past the total length.
    std::span<const std::byte> payload() const { return bytes_.subspan(header_len_, captured_end_ - header_len_); }
    // The payload length the header declares.
    std::size_t payload_length() const { return total_length() - header_len_; }

private:
    [[gnu::cold]] static Error diagnose(std::span<const std::byte> captured, std::size_t on_wire);
    const std::byte* p() const { return bytes_.data(); }
    std::span<const std::byte> bytes_;
    std::size_t header_len_{0};
    std::size_t captured_end_{0};
};

} // namespace teardown::wire
