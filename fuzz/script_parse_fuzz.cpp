// libFuzzer target for the packetdrill-syntax parser: any text parses into a
// script or a one-line error, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/script.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    auto s = teardown::script::parse_script(text, "fuzz.pkt");
    if (!s) return s.error().message.find('\n') == std::string::npos ? 0 : 1;
    return 0;
}
