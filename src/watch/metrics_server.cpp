#include "watch/metrics_server.hpp"

#include <httplib.h>

#include <thread>

#include "watch/metrics.hpp"

namespace teardown::watch {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
    ~Impl() {
        server.stop();
        if (thread.joinable()) thread.join();
    }
};

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address, std::function<std::string()> render) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size())
        return Error::bad_value("--prometheus '" + address + "': ADDRESS:PORT, such as 127.0.0.1:9464");
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const int port = std::atoi(address.c_str() + colon + 1);
    if (port < 0 || port > 65535) return Error::bad_value("--prometheus '" + address + "': the port is 0 to 65535");
    std::unique_ptr<MetricsServer> s{new MetricsServer};
    s->impl_ = std::make_unique<Impl>();
    auto& srv = s->impl_->server;
    srv.Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
        res.set_content(render(), k_prometheus_content_type);
    });
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("<a href=\"/metrics\">/metrics</a>\n", "text/html");
    });
    const int bound = port == 0 ? srv.bind_to_any_port(host) : (srv.bind_to_port(host, port) ? port : -1);
    if (bound < 0) return Error::io("--prometheus '" + address + "': cannot listen there (in use, or not an address of this host)");
    s->port_ = static_cast<std::uint16_t>(bound);
    s->impl_->thread = std::thread{[&srv] { srv.listen_after_bind(); }};
    return s;
}

MetricsServer::~MetricsServer() = default;

} // namespace teardown::watch
