#pragma once
// The Prometheus endpoint: GET /metrics answered with the text exposition
// format and its Content-Type, on the address given (loopback by default),
// from a thread of its own (cpp-httplib).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace teardown::watch {

class MetricsServer {
public:
    // "127.0.0.1:9464", "[::1]:9464"; `render` is called for each scrape.
    static Result<std::unique_ptr<MetricsServer>> start(const std::string& address, std::function<std::string()> render);
    ~MetricsServer();
    std::uint16_t port() const { return port_; }

private:
    MetricsServer() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint16_t port_{0};
};

} // namespace teardown::watch
