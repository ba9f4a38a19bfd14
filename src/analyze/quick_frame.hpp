#pragma once
// Most frames of most captures are Ethernet II, IPv4 without options, not
// fragmented, and TCP. Those are read here straight from their fixed
// offsets into what the analyzer takes, without the general decoder: the
// same checks and the same fields as wire::decode_into, key_of and
// segment_of give them (tests/analyze/quick_frame_test.cpp holds the two
// side by side on every frame of a capture and on mutated ones). Any other
// frame, or one that does not decode cleanly, goes the general way.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "analyze/connection_tracker.hpp"
#include "analyze/flow_key.hpp"
#include "wire/bytes.hpp"
#include "wire/link_type.hpp"

namespace teardown::analyze {

namespace quick {
inline constexpr std::size_t k_ip = 14;          // after Ethernet II's header
inline constexpr std::size_t k_tcp = k_ip + 20;  // after IPv4's without options

// Ethernet II carrying IPv4 (version 4, IHL 5) with protocol 6, neither a
// later fragment nor one with more to come, with the ports captured.
inline bool plain(wire::LinkType link, std::span<const std::byte> frame) {
    if (link != wire::LinkType::ethernet || frame.size() < k_tcp + 4) return false;
    const std::byte* p = frame.data();
    return wire::load_be16(p + 12) == 0x0800 && p[k_ip] == std::byte{0x45} && p[k_ip + 9] == std::byte{6} &&
           (wire::load_be16(p + k_ip + 6) & 0x3FFF) == 0;
}
} // namespace quick

// The flow key's shard_hash() of such a frame; nothing for any other. (It
// only names the frame's shard, so it asks no more of the frame than where
// its addresses and ports are.) Inline: every shard asks it of every frame.
inline std::optional<std::uint64_t> quick_shard_hash(wire::LinkType link, std::span<const std::byte> frame) {
    using namespace quick;
    if (!plain(link, frame)) return std::nullopt;
    const std::byte* p = frame.data();
    std::uint32_t src, dst;  // as FlowKey holds them: the bytes as they are
    std::memcpy(&src, p + k_ip + 12, 4);
    std::memcpy(&dst, p + k_ip + 16, 4);
    return FlowKey::shard_hash_of(src ^ dst, wire::load_be16(p + k_tcp) ^ wire::load_be16(p + k_tcp + 2));
}

// The shift a SYN's options offer (RFC 7323 §2), or CapturedSegment::k_no_scale.
std::uint8_t window_scale_offered(std::span<const std::byte> options);

// The key and the segment (all but `index`) of such a frame that decodes
// cleanly; false for any other, which the caller decodes the general way.
// TCP checksums are not checked here: with --checksums, decode.
bool quick_segment(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len, FlowKey& key,
                   CapturedSegment& s);

} // namespace teardown::analyze
