// Real clients against our HTTP/1.1 responder: curl, started inside the
// lab's namespace, fetching 1000 times in a row, each on a connection of
// its own (Connection: close, so we close first and keep TIME-WAIT), and
// 100 times over one kept-alive connection. Every response must be whole
// and every connection must end gracefully, as the capture shows.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "analyze/analyzer.hpp"
#include "lab_test_support.hpp"

namespace teardown::lab::testing {
namespace {

struct CurlRun {
    int status{-1};
    std::vector<std::string> lines;  // "%{http_code} %{size_download}", one a transfer
};

CurlRun curl(const Lab& lab, const std::vector<std::string>& config_lines) {
    const std::string base = ::testing::TempDir() + "curl-" + std::to_string(getpid());
    {
        std::ofstream cfg{base + ".cfg"};
        for (const auto& l : config_lines) cfg << l << "\n";
    }
    CurlRun r;
    auto pid = spawn_in(lab.ns(), {"curl", "-sS", "--max-time", "120", "--config", base + ".cfg", "-w", "%{http_code} %{size_download}\\n"},
                        base + ".out");
    EXPECT_TRUE(pid) << (pid ? "" : pid.error().message);
    if (!pid) return r;
    int st = 0;
    waitpid(*pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream out{base + ".out"};
    for (std::string line; std::getline(out, line);) r.lines.push_back(line);
    std::remove((base + ".cfg").c_str());
    std::remove((base + ".out").c_str());
    return r;
}

// How each connection in the capture ended, as `teardown analyze` says.
std::vector<analyze::ConnectionRecord> endings(const std::string& pcap) {
    std::vector<analyze::ConnectionRecord> out;
    analyze::Analyzer a{{}, [&](analyze::ConnectionRecord&& r) { out.push_back(std::move(r)); }};
    auto reader = capture::CaptureReader::open(pcap);
    EXPECT_TRUE(reader);
    if (!reader) return out;
    capture::Frame f;
    wire::DecodedPacket d;
    for (;;) {
        auto more = reader->next(f);
        if (!more || !*more) break;
        if (wire::decode_into(f.link, f.data, f.orig_len, d)) a.on_malformed(f.ts);
        else a.on_frame(f.ts, d);
    }
    a.finish();
    return out;
}

class HttpService : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "the lab tests make network namespaces: run them as root"; }
    Lab lab{GetParam()};
    std::string url(const std::string& path) const {
        const std::string host = lab.ours().is_v4() ? lab.ours().to_string() : "[" + lab.ours().to_string() + "]";
        // curl's -o applies to one URL: each gets its own output.
        return "url = \"http://" + host + path + "\"\noutput = \"/dev/null\"";
    }
};

TEST_P(HttpService, CurlFetchesAThousandTimesEachConnectionClosedCleanly) {
    lab.start({}, ServiceKind::http, 80);
    std::vector<std::string> cfg{"header = \"Connection: close\""};
    for (int i = 0; i < 1000; ++i) cfg.push_back(url("/bytes/" + std::to_string(100 + i)));
    const CurlRun c = curl(lab, cfg);
    EXPECT_EQ(c.status, 0);
    ASSERT_EQ(c.lines.size(), 1000u);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(c.lines[i], "200 " + std::to_string(100 + i)) << "transfer " << i;
    const auto& r = lab.finish(true);
    EXPECT_EQ(r.responses, 1000u);
    EXPECT_EQ(r.served, 1000u);
    const auto records = endings(lab.pcap());
    ASSERT_EQ(records.size(), 1000u);
    std::size_t crossing = 0;
    for (const auto& rec : records) {
        EXPECT_EQ(rec.ending, Ending::graceful) << rec.client.to_string();
        // Connection: close: we close first; curl may close on the last byte of
        // the body, before our FIN reaches its socket, and then the FINs cross.
        EXPECT_TRUE(rec.closer == Closer::server || rec.closer == Closer::both) << rec.client.to_string();
        crossing += rec.closer == Closer::both;
    }
    EXPECT_LT(crossing, records.size()) << "we never closed first";
    EXPECT_EQ(r.run.hosts[k_ours].endpoints_left, r.run.hosts[k_ours].time_wait_left) << "only TIME-WAIT is left";
}

TEST_P(HttpService, CurlKeepsOneConnectionAliveForAHundredRequests) {
    lab.start({}, ServiceKind::http, 80);
    std::vector<std::string> cfg;
    for (int i = 0; i < 100; ++i) cfg.push_back(url("/n" + std::to_string(i)));
    const CurlRun c = curl(lab, cfg);
    EXPECT_EQ(c.status, 0);
    ASSERT_EQ(c.lines.size(), 100u);
    for (const auto& l : c.lines) EXPECT_EQ(l.substr(0, 4), "200 ");
    const auto& r = lab.finish(true);
    EXPECT_EQ(r.responses, 100u);
    EXPECT_EQ(r.served, 1u);
    const auto records = endings(lab.pcap());
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].ending, Ending::graceful);
    EXPECT_EQ(records[0].closer, Closer::client) << "curl closes the kept-alive connection when it exits";
}

INSTANTIATE_TEST_SUITE_P(Families, HttpService, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "ipv6" : "ipv4"; });

} // namespace
} // namespace teardown::lab::testing
