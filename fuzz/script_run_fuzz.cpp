// libFuzzer target for the script runner: any script that parses runs to a
// verdict (pass, or a failure naming its line), never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    auto s = teardown::script::parse_script(text, "fuzz.pkt");
    if (!s || s->lines.size() > 400) return 0;
    const auto outcome = teardown::script::run_script(*s, {});
    if (!outcome.passed && outcome.failure.rfind("fuzz.pkt:", 0) != 0) return 1;  // every failure names its line
    return 0;
}
