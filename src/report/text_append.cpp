#include "report/text_append.hpp"

#include <arpa/inet.h>

namespace teardown::report {

void append_address(std::string& out, const wire::IpAddress& a) {
    const auto& b = a.bytes();
    if (a.is_v4()) {
        for (int i = 0; i < 4; ++i) {
            if (i > 0) out += '.';
            append_uint(out, b[static_cast<std::size_t>(i)]);
        }
        return;
    }
    char text[INET6_ADDRSTRLEN] = {};
    // inet_ntop writes RFC 5952's canonical IPv6 text.
    inet_ntop(AF_INET6, b.data(), text, sizeof text);
    out += text;
}

void append_endpoint(std::string& out, const wire::Endpoint& e) {
    if (!e.addr.is_v4()) out += '[';
    append_address(out, e.addr);
    out += e.addr.is_v4() ? ":" : "]:";
    append_uint(out, e.port);
}

} // namespace teardown::report
