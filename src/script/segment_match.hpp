#pragma once
// Between a script's packet lines and the engine's segments: building the
// segment an inbound line injects, and comparing an outbound line with the
// segment the engine sent. Sequence numbers in a script are the remote's own
// as written, and the local side's counted from its initial sequence number
// (packetdrill's convention), so the comparison needs that ISS and the offset
// between the script's and the engine's timestamp clocks.
#include <cstdint>
#include <optional>
#include <string>

#include "core/seq_num.hpp"
#include "engine/segment.hpp"
#include "script/script.hpp"
#include "wire/ip_address.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::script {

struct SeqBase {
    std::optional<SeqNum> local_iss;         // the engine's ISS on the connection being scripted
    std::optional<std::uint32_t> ts_offset;  // engine TSval minus the script's TSval for it
    std::uint32_t local(SeqNum absolute) const { return absolute.raw() - (local_iss ? local_iss->raw() : 0u); }
    SeqNum absolute(std::uint32_t relative) const { return SeqNum{relative + (local_iss ? local_iss->raw() : 0u)}; }
};

struct Leniency {
    bool window{false};   // --lenient=win
    bool options{false};  // --lenient=options
};

// The segment an inbound ('<') line stands for, on `tuple` (seen from the engine).
engine::Segment inbound_segment(const PacketLine& line, const wire::FourTuple& tuple, const SeqBase& base);

// Empty when `actual` is what the outbound ('>') line expects; otherwise which field differs.
std::string mismatch(const PacketLine& expected, const engine::Segment& actual, wire::OptionLayout layout,
                     const SeqBase& base, Leniency lenient);

// Learns the timestamp clock offset from the first outbound segment that carries one.
void learn_ts_offset(const PacketLine& expected, const engine::Segment& actual, SeqBase& base);

// Both sides in the script's own syntax, so a mismatch reads as two lines to compare.
std::string to_script_text(const PacketLine& line);
std::string to_script_text(const engine::Segment& actual, wire::OptionLayout layout, const SeqBase& base);

} // namespace teardown::script
