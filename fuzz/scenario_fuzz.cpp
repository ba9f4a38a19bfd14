// libFuzzer target for scenario files: any text is a scenario or a one-line
// error naming its line, never a crash or a hang; a small scenario that
// parses is simulated too, and its outcome checked, which must not crash
// either.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/outcome.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace {

bool small(const teardown::sim::Scenario& s) {
    if (s.until > teardown::Duration::seconds(600) || s.hosts.size() > 4) return false;
    for (const auto& h : s.hosts)
        for (const auto& step : h.app)
            if (step.count > 100'000 || step.duration > teardown::Duration::seconds(600)) return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    auto s = teardown::sim::parse_scenario(text, "fuzz.toml");
    if (!s) return s.error().message.find('\n') == std::string::npos ? 0 : 1;
    if (!small(*s)) return 0;
    const auto run = teardown::sim::simulate(*s);
    const auto conns = teardown::sim::outcomes(*s, run);
    (void)teardown::sim::check(*s, run, conns);
    return 0;
}
