#pragma once
// One call from a captured frame to its TCP segment: link layer, IPv4 or IPv6
// (extension headers walked), TCP. No allocation and each length checked once,
// so it runs at capture-file speed. What is not IP, not TCP, or a fragment
// without a TCP header is reported as such, not as an error; an error means
// the headers contradict themselves or the capture cut them.
#include <cstdint>
#include <optional>
#include <span>

#include "core/result.hpp"
#include "wire/ip_address.hpp"
#include "wire/link.hpp"
#include "wire/link_type.hpp"
#include "wire/tcp.hpp"

namespace teardown::wire {

enum class ChecksumStatus : std::uint8_t { valid, invalid, unknown };
constexpr const char* to_string(ChecksumStatus s) {
    switch (s) {
    case ChecksumStatus::valid: return "valid";
    case ChecksumStatus::invalid: return "invalid";
    case ChecksumStatus::unknown: return "unknown";
    }
    return "unknown";
}

struct DecodedPacket {
    LinkType link{LinkType::ethernet};
    LinkView link_view;
    bool is_ip{false};
    IpVersion ip_version{IpVersion::v4};
    // The addresses' bytes in the frame (4 or 16 each); src() and dst() make
    // values of them, so a reader that only counts packets never copies them.
    const std::byte* src_bytes{nullptr};
    const std::byte* dst_bytes{nullptr};
    std::uint8_t ttl{0};                 // hop limit for IPv6
    std::uint16_t ip_id{0};              // IPv4 only
    std::uint8_t protocol{0};            // upper-layer protocol after extension headers
    bool fragment{false};                // part of a fragmented datagram
    std::span<const std::byte> ip_header;  // IPv4 only, for ip_checksum()
    // The datagram's length as its header says (IPv4's total length, IPv6's
    // 40 bytes and payload length): what Zeek counts as ip_bytes.
    std::uint32_t ip_length{0};
    std::optional<TcpView> tcp;          // absent for non-TCP and non-first fragments

    bool is_tcp() const { return tcp.has_value(); }
    IpAddress src() const { return ip_version == IpVersion::v4 ? IpAddress::v4(src_bytes) : IpAddress::v6(src_bytes); }
    IpAddress dst() const { return ip_version == IpVersion::v4 ? IpAddress::v4(dst_bytes) : IpAddress::v6(dst_bytes); }
    // The IPv4 header checksum (IPv6 has none: unknown). Computed on demand:
    // most readers never ask, and decoding stays cheap.
    ChecksumStatus ip_checksum() const;
    // The TCP checksum: unknown when the payload was cut by the snapshot length
    // or the segment is one fragment of several.
    ChecksumStatus tcp_checksum() const;
};

// `captured`: the frame's bytes as stored; `orig_len`: its length on the wire.
Result<DecodedPacket> decode(LinkType link, std::span<const std::byte> captured, std::uint32_t orig_len);

// The same into a caller's packet, reused from frame to frame: the form for
// reading millions of frames, with no copy of the result. Nothing on success.
std::optional<Error> decode_into(LinkType link, std::span<const std::byte> captured, std::uint32_t orig_len,
                                 DecodedPacket& out);

} // namespace teardown::wire
