#include "wire/ipv6.hpp"

#include <algorithm>
#include <string>

namespace teardown::wire {

namespace {
constexpr int k_max_extensions = 16;  // a longer chain is an attack or garbage, not a packet
}

Result<Ipv6View> Ipv6View::parse(std::span<const std::byte> captured, std::size_t on_wire) {
    if (captured.size() < k_header)
        return Error::truncated("ipv6: header needs 40 bytes, " + std::to_string(captured.size()) + " captured");
    const unsigned version = std::to_integer<unsigned>(captured[0]) >> 4;
    if (version != 6) return Error::bad_value("ipv6: version field is " + std::to_string(version));
    Ipv6View v;
    v.bytes_ = captured;
    const std::size_t total = k_header + v.payload_length_field();
    if (total > on_wire)
        return Error::bad_length("ipv6: payload length " + std::to_string(v.payload_length_field()) +
                                 " exceeds the " + std::to_string(on_wire - k_header) + " bytes of the packet");
    v.captured_end_ = std::min(total, captured.size());

    // RFC 8200 §4: walk the chain; every extension header must lie within the
    // payload length and within the captured bytes.
    std::uint8_t next = v.next_header();
    std::size_t at = k_header;
    for (int n = 0;; ++n) {
        std::size_t len = 0;
        switch (next) {
        case ip_protocol::hop_by_hop:
        case ip_protocol::routing:
        case ip_protocol::destination_options:
        case ip_protocol::fragment:
        case ip_protocol::ah:
            break;
        default:
            v.upper_protocol_ = next;
            v.upper_offset_ = at;
            return v;
        }
        if (n == k_max_extensions) return Error::unsupported("ipv6: more than 16 extension headers");
        if (at + 8 > total)
            return Error::bad_length("ipv6: extension header " + std::to_string(next) + " at offset " +
                                     std::to_string(at) + " runs past the payload length");
        if (at + 8 > captured.size())
            return Error::truncated("ipv6: extension header " + std::to_string(next) + " at offset " +
                                    std::to_string(at) + " is cut by the capture");
        const std::byte* h = captured.data() + at;
        if (next == ip_protocol::fragment) {
            len = 8;
            v.fragment_ = true;
            v.fragment_offset_ = static_cast<std::uint16_t>(load_be16(h + 2) >> 3);
        } else if (next == ip_protocol::ah) {
            len = (std::to_integer<std::size_t>(h[1]) + 2) * 4;  // RFC 4302 §2.2: in 4-octet units, minus 2
        } else {
            len = (std::to_integer<std::size_t>(h[1]) + 1) * 8;  // RFC 8200 §4.3: in 8-octet units, minus 1
        }
        if (at + len > total)
            return Error::bad_length("ipv6: extension header " + std::to_string(next) + " length " +
                                     std::to_string(len) + " runs past the payload length");
        if (at + len > captured.size())
            return Error::truncated("ipv6: extension header " + std::to_string(next) + " length " +
                                    std::to_string(len) + " is cut by the capture");
        next = std::to_integer<std::uint8_t>(h[0]);
        at += len;
        ++v.extension_count_;
        // Past a non-first fragment's header lies the middle of someone's payload.
        if (v.fragment_ && v.fragment_offset_ != 0) {
            v.upper_protocol_ = next;
            v.upper_offset_ = at;
            return v;
        }
    }
}

} // namespace teardown::wire
