#pragma once
// Most frames of most captures are Ethernet II, IPv4 without options, not
// fragmented, and TCP. Those are read here straight from their fixed
// offsets into what the analyzer takes, without the general decoder: the
// same checks and the same fields as wire::decode_into, key_of and
// segment_of give them (tests/analyze/quick_frame_test.cpp holds the two
// side by side on every frame of a capture and on mutated ones). Any other
// frame, or one that does not decode cleanly, goes the general way.
#include <cstdint>
#include <optional>
#include <span>

#include "analyze/connection_tracker.hpp"
#include "analyze/flow_key.hpp"
#include "wire/link_type.hpp"

namespace teardown::analyze {

// The flow key's shard_hash() of such a frame; nothing for any other. (It
// only names the frame's shard, so it asks no more of the frame than where
// its addresses and ports are.)
std::optional<std::uint64_t> quick_shard_hash(wire::LinkType link, std::span<const std::byte> frame);

// The shift a SYN's options offer (RFC 7323 §2), or CapturedSegment::k_no_scale.
std::uint8_t window_scale_offered(std::span<const std::byte> options);

// The key and the segment (all but `index`) of such a frame that decodes
// cleanly; false for any other, which the caller decodes the general way.
// TCP checksums are not checked here: with --checksums, decode.
bool quick_segment(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len, FlowKey& key,
                   CapturedSegment& s);

} // namespace teardown::analyze
