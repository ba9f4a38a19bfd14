#pragma once
// One packet as `teardown dump` shows it: a tcpdump-style text line or a JSON
// object, with the packet's role in its connection's close when it has one.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analyze/closing_packet.hpp"
#include "core/time.hpp"
#include "wire/packet.hpp"

namespace teardown::report {

enum class TimeFormat { utc, epoch, relative };

struct PacketContext {
    std::uint64_t number{0};          // from 1
    Instant ts;
    Instant first_ts;                 // for relative times
    std::uint32_t interface_id{0};
    std::string interface_name;       // shown when the capture has several interfaces
    std::uint32_t orig_len{0};
    std::optional<analyze::ClosingLabel> closing;
};

std::string format_time(Instant ts, Instant first, TimeFormat format);
std::string packet_text(const wire::DecodedPacket& p, const PacketContext& c, TimeFormat format);
nlohmann::json packet_json(const wire::DecodedPacket& p, const PacketContext& c);
// A frame whose headers could not be decoded.
std::string malformed_text(const PacketContext& c, const std::string& reason, TimeFormat format);
nlohmann::json malformed_json(const PacketContext& c, const std::string& reason);

} // namespace teardown::report
