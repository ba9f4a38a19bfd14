// The lab's HTTP/1.1 request reader takes whatever a client sends: it must
// never crash, and a head it accepts must lie inside what it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lab/services.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const auto r = teardown::lab::parse_http_request(text);
    if (r && *r) {
        const auto& req = r->value();
        if (req.head_length > size || req.head_length < 4) std::abort();
        if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0") std::abort();
    }
    return 0;
}
