#pragma once
// The scenarios shipped in scenarios/, compiled into the binary (the file
// is generated at build time), for `teardown demo`.
#include <string_view>
#include <vector>

namespace teardown::sim {

struct BundledScenario {
    std::string_view stem;  // the file's name without .toml
    std::string_view text;
};

const std::vector<BundledScenario>& bundled_scenarios();

} // namespace teardown::sim
