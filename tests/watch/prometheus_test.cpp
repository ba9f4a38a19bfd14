// The Prometheus endpoint as Prometheus itself sees it: a real Prometheus
// (Debian's package) started on loopback scrapes `teardown watch`'s
// /metrics, and a query returns the endings the kernel produced;
// `promtool check metrics` accepts the exposition.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/loopback.hpp"
#include "watch/metrics_server.hpp"
#include "watch/monitor.hpp"

namespace teardown::watch {
namespace {

using namespace std::chrono_literals;

std::string shell(const std::string& command, int* status = nullptr) {
    std::string out;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int st = pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

// A graceful close on this host's loopback, `n` times, on a port of the test's own.
void close_gracefully(std::uint16_t port, int n) {
    const int l = test::listen_on_loopback(port, 16);
    ASSERT_GE(l, 0) << "listen on 127.0.0.1:" << port;
    const sockaddr_in at = test::loopback(port);
    for (int i = 0; i < n; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_EQ(connect(c, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
        const int s = accept(l, nullptr, nullptr);
        close(c);
        char b;
        (void)recv(s, &b, 1, 0);
        close(s);
    }
    close(l);
}

TEST(Prometheus, ScrapesTheEndpointAndAQueryCountsTheEndings) {
    ASSERT_EQ(geteuid(), 0u) << "the watch tests load BPF: run them as root";
    WatchOptions o;
    o.source = WatchOptions::Source::bpf;
    o.filter.port = 18099;
    o.table_interval = Duration::millis(200);
    auto m = Monitor::start(o, [](const WatchRecord&) {}, [](const Alert&) {}, [](const std::string&) {});
    ASSERT_TRUE(m) << m.error().message;
    Monitor& monitor = **m;
    auto server = MetricsServer::start("127.0.0.1:0", [&monitor] { return monitor.metrics().prometheus_text(); });
    ASSERT_TRUE(server) << server.error().message;
    const std::uint16_t metrics_port = (*server)->port();
    std::atomic<bool> stop{false};
    std::thread runner{[&] { (void)monitor.run(stop); }};
    close_gracefully(18099, 5);

    // promtool on what the endpoint serves, and its Content-Type.
    const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics";
    int st = 0;
    const std::string headers = shell("curl -sS -D - -o /dev/null " + url);
    EXPECT_NE(headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos) << headers;
    const std::string check = shell("curl -sS " + url + " | promtool check metrics", &st);
    EXPECT_EQ(st, 0) << check;

    // A real Prometheus, scraping every second, on a loopback port of its own.
    const std::string dir = ::testing::TempDir() + "prom-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    {
        std::ofstream cfg{dir + "/prometheus.yml"};
        cfg << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: teardown\n    static_configs:\n      - targets: ['127.0.0.1:"
            << metrics_port << "']\n";
    }
    const std::string prom_port = std::to_string(19090 + getpid() % 1000);
    const pid_t prom = fork();
    if (prom == 0) {
        const std::string cfg = "--config.file=" + dir + "/prometheus.yml";
        const std::string data = "--storage.tsdb.path=" + dir + "/data";
        const std::string listen = "--web.listen-address=127.0.0.1:" + prom_port;
        freopen((dir + "/prometheus.log").c_str(), "w", stderr);
        execlp("prometheus", "prometheus", cfg.c_str(), data.c_str(), listen.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    ASSERT_GT(prom, 0);
    std::string answer;
    const std::string query = "curl -sS 'http://127.0.0.1:" + prom_port +
                              "/api/v1/query?query=sum(teardown_watch_endings_total%7Bending%3D%22graceful%22%7D)'";
    for (int i = 0; i < 300; ++i) {  // up to 30 s for start-up and the first scrapes
        answer = shell(query);
        // Five connections, each seen from both of its ends: ten graceful endings.
        if (answer.find("\"10\"]") != std::string::npos) break;
        std::this_thread::sleep_for(100ms);
    }
    kill(prom, SIGTERM);
    waitpid(prom, nullptr, 0);
    stop.store(true);
    runner.join();
    EXPECT_NE(answer.find("\"10\"]"), std::string::npos) << answer << "\n" << shell("tail -5 " + dir + "/prometheus.log");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace teardown::watch
