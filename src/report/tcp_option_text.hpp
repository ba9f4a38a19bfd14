#pragma once
// How one TCP option is shown: tcpdump's words in text ("mss 1460",
// "sackOK", "TS val 1 ecr 0", "sack 1 {100:200}"), and a JSON object.
#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace teardown::report {

// kind, and the option's bytes after its kind and length octets (none for NOP and EOL).
std::string tcp_option_text(std::uint8_t kind, std::span<const std::byte> data);
nlohmann::json tcp_option_json(std::uint8_t kind, std::span<const std::byte> data);

} // namespace teardown::report
