#pragma once
// The sysctls a script may set in a backtick shell line, mapped to engine
// settings. Linux's own names where Linux has the knob; `teardown.*` names
// for choices Linux does not offer (RFC 5961 off, the TIME-WAIT length).
#include <string>
#include <string_view>

#include "engine/config.hpp"

namespace teardown::script {

enum class SysctlResult : std::uint8_t { applied, unknown, bad_value };

// Applies `name=value` to `config`. `unknown`: not in the table (the caller
// skips and counts it); `bad_value`: a known name with a value it cannot take.
SysctlResult apply_sysctl(engine::Config& config, std::string_view name, std::string_view value);

// The table, one "name: what it sets" per line, for --help and the docs.
std::string sysctl_table_text();

} // namespace teardown::script
