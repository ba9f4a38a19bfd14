#pragma once
// A checked view of an IPv6 header (RFC 8200) with its extension-header chain
// walked to the upper-layer protocol.
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "wire/bytes.hpp"
#include "wire/ip_address.hpp"

namespace teardown::wire {

namespace ip_protocol {
inline constexpr std::uint8_t hop_by_hop = 0;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t routing = 43;
inline constexpr std::uint8_t fragment = 44;
inline constexpr std::uint8_t esp = 50;
inline constexpr std::uint8_t ah = 51;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t no_next = 59;
inline constexpr std::uint8_t destination_options = 60;
} // namespace ip_protocol

class Ipv6View {
public:
    static constexpr std::size_t k_header = 40;

    // As Ipv4View::parse: `on_wire` is the packet's real length from here.
    static Result<Ipv6View> parse(std::span<const std::byte> captured, std::size_t on_wire);

    std::uint8_t traffic_class() const { return static_cast<std::uint8_t>((load_be16(p()) >> 4) & 0xFF); }
    std::uint32_t flow_label() const { return load_be32(p()) & 0xFFFFF; }
    std::uint16_t payload_length_field() const { return load_be16(p() + 4); }
    std::uint8_t next_header() const { return load_u8(p() + 6); }
    std::uint8_t hop_limit() const { return load_u8(p() + 7); }
    IpAddress src() const { return IpAddress::v6(p() + 8); }
    IpAddress dst() const { return IpAddress::v6(p() + 24); }

    // After the extension headers: the upper-layer protocol (ESP and
    // no-next-header end the walk and are reported as such).
    std::uint8_t upper_protocol() const { return upper_protocol_; }
    std::size_t extension_length() const { return upper_offset_ - k_header; }
    std::uint8_t extension_count() const { return extension_count_; }
    bool has_fragment_header() const { return fragment_; }
    // A fragment other than the first carries no upper-layer header.
    bool is_fragment() const { return fragment_; }
    bool is_first_fragment() const { return fragment_ && fragment_offset_ == 0; }
    std::uint16_t fragment_offset() const { return fragment_offset_; }
    // The upper-layer bytes the capture holds, and the length the header declares.
    std::span<const std::byte> upper_payload() const { return bytes_.subspan(upper_offset_, captured_end_ - upper_offset_); }
    std::size_t upper_length() const { return k_header + payload_length_field() - upper_offset_; }

private:
    const std::byte* p() const { return bytes_.data(); }
    std::span<const std::byte> bytes_;
    std::size_t upper_offset_{k_header};
    std::size_t captured_end_{k_header};
    std::uint8_t upper_protocol_{0};
    std::uint8_t extension_count_{0};
    bool fragment_{false};
    std::uint16_t fragment_offset_{0};
};

} // namespace teardown::wire
