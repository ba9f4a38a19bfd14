// The monitor against real kernel sockets: in a namespace the test makes,
// kernel client and server on its loopback end each connection the seed
// names, and the monitor (eBPF, filtered to that namespace) must report
// each end exactly: ending, closer, who reset and the kernel's reason, the
// error, TIME_WAIT, the owner.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "lab/lab_run.hpp"
#include "lab/lab_scenario.hpp"
#include "lab/network_namespace.hpp"
#include "support/loopback.hpp"
#include "watch/monitor.hpp"

namespace teardown::watch {
namespace {

using namespace std::chrono_literals;

class Watch : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "the watch tests load BPF and make namespaces: run them as root";
        static std::atomic<int> n{0};
        auto ns = lab::NetworkNamespace::create("tdwatch-" + std::to_string(getpid()) + "-" + std::to_string(n++));
        ASSERT_TRUE(ns) << ns.error().message;
        ns_.emplace(std::move(*ns));
        ASSERT_TRUE(lab::loopback_up(*ns_));
    }
    void TearDown() override {
        stop_.store(true);
        if (runner_.joinable()) runner_.join();
    }

    void start(AlertLimits limits = {}, WatchOptions::Source source = WatchOptions::Source::bpf) {
        std::atomic<bool> ready{false};
        runner_ = std::thread{[this, limits, source, &ready] {
            WatchOptions o;
            o.source = source;
            o.netns = ns_->path();
            o.limits = limits;
            o.filter = filter_;
            o.table_interval = Duration::millis(100);
            auto m = Monitor::start(
                o,
                [this](const WatchRecord& r) {
                    std::lock_guard g{lock_};
                    records_.push_back(r);
                },
                [this](const Alert& a) {
                    std::lock_guard g{lock_};
                    alerts_.push_back(a);
                },
                [](const std::string&) {});
            if (!m) {
                error_ = m.error().message;
                ready.store(true);
                return;
            }
            monitor_ = m->get();
            ready.store(true);
            auto r = (*m)->run(stop_);
            if (!r) error_ = r.error().message;
            monitor_ = nullptr;
        }};
        while (!ready.load()) std::this_thread::sleep_for(1ms);
        ASSERT_EQ(error_, "");
    }

    // The record of the connection whose local port is `port`, waiting for it up to 5 s.
    std::optional<WatchRecord> record(std::uint16_t local_port) {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard g{lock_};
                for (const auto& r : records_)
                    if (r.tuple.local.port == local_port) return r;
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }
    std::optional<Alert> alert(Alert::Kind kind) {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard g{lock_};
                for (const auto& a : alerts_)
                    if (a.kind == kind) return a;
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }

    // Kernel sockets inside the namespace, on its loopback.
    struct Pair {
        int client{-1};
        int server{-1};
        std::uint16_t client_port{0};
        std::uint16_t server_port{0};
    };
    Pair connected(std::uint16_t port) {
        auto in = lab::InNamespace::enter(*ns_);
        Pair p;
        const int l = listener(port);
        p.client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const sockaddr_in to = test::loopback(port);
        EXPECT_EQ(connect(p.client, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
        p.server = accept(l, nullptr, nullptr);
        close(l);
        sockaddr_in me{};
        socklen_t len = sizeof me;
        getsockname(p.client, reinterpret_cast<sockaddr*>(&me), &len);
        p.client_port = ntohs(me.sin_port);
        p.server_port = port;
        return p;
    }
    int listener(std::uint16_t port) {
        const int l = test::listen_on_loopback(port, 8);
        EXPECT_GE(l, 0) << "listen on 127.0.0.1:" << port;
        return l;
    }
    static void drain(int fd) {
        char buf[4096];
        while (recv(fd, buf, sizeof buf, 0) > 0) {}
    }

    WatchFilter filter_;
    std::optional<lab::NetworkNamespace> ns_;
    std::thread runner_;
    std::atomic<bool> stop_{false};
    Monitor* monitor_{nullptr};
    std::string error_;
    std::mutex lock_;
    std::vector<WatchRecord> records_;
    std::vector<Alert> alerts_;
};

std::string test_comm() {
    // The kernel's comm: the program's name, cut to 15 bytes.
    char buf[64] = {};
    FILE* f = std::fopen("/proc/self/comm", "r");
    if (f && std::fgets(buf, sizeof buf, f)) buf[std::strcspn(buf, "\n")] = 0;
    if (f) std::fclose(f);
    return buf;
}

TEST_F(Watch, ClientClosesFirstGracefullyAndKeepsTimeWait) {
    start();
    Pair p = connected(8001);
    ASSERT_EQ(send(p.client, "hi", 2, 0), 2);
    char b[2];
    ASSERT_EQ(recv(p.server, b, 2, 0), 2);
    close(p.client);
    drain(p.server);  // the FIN
    close(p.server);
    const auto c = record(p.client_port);
    const auto s = record(p.server_port);
    ASSERT_TRUE(c && s);
    EXPECT_EQ(c->ending, Ending::graceful);
    EXPECT_EQ(c->closer, Closer::client);
    EXPECT_TRUE(c->local_is_client);
    EXPECT_TRUE(c->time_wait);
    EXPECT_EQ(s->ending, Ending::graceful);
    EXPECT_EQ(s->closer, Closer::client);
    EXPECT_FALSE(s->local_is_client);
    EXPECT_FALSE(s->time_wait);
    EXPECT_EQ(c->pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_EQ(c->comm, test_comm());
    EXPECT_EQ(s->pid, static_cast<std::uint32_t>(getpid())) << "the owner of an accepted connection";
    EXPECT_EQ(c->netns, monitor_ ? monitor_->netns_inode() : c->netns);
}

TEST_F(Watch, ServerClosesFirstGracefully) {
    start();
    Pair p = connected(8002);
    close(p.server);
    drain(p.client);
    close(p.client);
    const auto c = record(p.client_port);
    const auto s = record(p.server_port);
    ASSERT_TRUE(c && s);
    EXPECT_EQ(c->ending, Ending::graceful);
    EXPECT_EQ(c->closer, Closer::server);
    EXPECT_FALSE(c->time_wait);
    EXPECT_EQ(s->closer, Closer::server);
    EXPECT_TRUE(s->time_wait);
}

TEST_F(Watch, CloseWithUnreadDataResetsWithTheKernelsReason) {
    start();
    Pair p = connected(8003);
    ASSERT_EQ(send(p.client, "unread", 6, 0), 6);
    std::this_thread::sleep_for(20ms);
    close(p.server);  // 6 bytes unread: RFC 2525 §2.17, a RST
    const auto s = record(p.server_port);
    const auto c = record(p.client_port);
    close(p.client);
    ASSERT_TRUE(c && s);
    EXPECT_EQ(s->ending, Ending::reset);
    EXPECT_EQ(s->reset_by, Side::server);
    EXPECT_EQ(s->reset_reason, "tcp_abort_on_close");
    EXPECT_EQ(c->ending, Ending::reset);
    EXPECT_EQ(c->reset_by, Side::server);
    EXPECT_EQ(c->error, ECONNRESET);
}

TEST_F(Watch, LingerZeroResets) {
    start();
    Pair p = connected(8004);
    const linger l{1, 0};
    ASSERT_EQ(setsockopt(p.client, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    close(p.client);
    const auto c = record(p.client_port);
    const auto s = record(p.server_port);
    close(p.server);
    ASSERT_TRUE(c && s);
    EXPECT_EQ(c->ending, Ending::reset);
    EXPECT_EQ(c->reset_by, Side::client);
    // Linux resets an SO_LINGER {1, 0} close through tcp_disconnect(), which names it so.
    EXPECT_EQ(c->reset_reason, "tcp_state");
    EXPECT_EQ(s->reset_by, Side::client);
}

TEST_F(Watch, ConnectToAClosedPortIsRefused) {
    start();
    {
        // A refusal outside the watched namespace: its RST must not be counted.
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const sockaddr_in to = test::loopback(1);
        EXPECT_NE(connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
        close(fd);
    }
    std::uint16_t port = 0;
    {
        auto in = lab::InNamespace::enter(*ns_);
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const sockaddr_in to = test::loopback(8005);
        EXPECT_NE(connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
        EXPECT_EQ(errno, ECONNREFUSED);
        sockaddr_in me{};
        socklen_t len = sizeof me;
        getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
        port = ntohs(me.sin_port);
        close(fd);
    }
    const auto c = record(port);
    ASSERT_TRUE(c) << "no record for port " << port;
    EXPECT_EQ(c->ending, Ending::refused);
    EXPECT_EQ(c->error, ECONNREFUSED);
    EXPECT_EQ(c->reset_by, Side::server);
    ASSERT_NE(monitor_, nullptr);
    EXPECT_EQ(monitor_->metrics().resets_sent["no_socket"], 1u) << "the refusing RST, sent for no socket, in this namespace only";
}

TEST_F(Watch, ACloseWaitLeftOpenIsFlaggedAndReportedHalfOpen) {
    AlertLimits limits;
    limits.close_wait = Duration::millis(300);
    start(limits);
    Pair p = connected(8006);
    close(p.client);  // the server never closes
    const auto a = alert(Alert::Kind::close_wait_stuck);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->pid, static_cast<std::uint32_t>(getpid())) << "found by the socket's inode: it never read, so BPF never saw its owner";
    EXPECT_NE(a->text.find("CLOSE_WAIT"), std::string::npos) << a->text;
    stop_.store(true);
    runner_.join();
    const auto s = record(p.server_port);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->ending, Ending::half_open);
    EXPECT_EQ(s->closer, Closer::client);
    close(p.server);
}

TEST_F(Watch, TimeWaitBuildUpTowardOnePeerIsFlagged) {
    AlertLimits limits;
    limits.time_wait_per_peer = 3;
    start(limits);
    for (int i = 0; i < 3; ++i) {
        Pair p = connected(8010);
        close(p.client);  // the client closes first: TIME_WAIT toward 127.0.0.1:8010
        drain(p.server);
        close(p.server);
    }
    const auto a = alert(Alert::Kind::time_wait_build_up);
    ASSERT_TRUE(a);
    EXPECT_NE(a->text.find("3 connections to 127.0.0.1:8010 in TIME_WAIT"), std::string::npos) << a->text;
}

TEST_F(Watch, AFinWait2ThePeerNeverEndsIsFlagged) {
    AlertLimits limits;
    limits.fin_wait_2 = Duration::millis(300);
    start(limits);
    Pair p = connected(8011);
    shutdown(p.client, SHUT_WR);  // FIN_WAIT_1, FIN_WAIT_2 once ACKed; the server never closes
    const auto a = alert(Alert::Kind::fin_wait_2_stuck);
    ASSERT_TRUE(a);
    EXPECT_NE(a->text.find("FIN_WAIT_2"), std::string::npos) << a->text;
    EXPECT_EQ(a->pid, static_cast<std::uint32_t>(getpid()));
    close(p.client);
    close(p.server);
}

// close() in FIN_WAIT_2: Linux parks the orphan where no tracepoint sees it;
// the record says half_open, and the socket table still flags it.
TEST_F(Watch, AnOrphanInFinWait2IsHalfOpenAndFlaggedFromTheTable) {
    AlertLimits limits;
    limits.fin_wait_2 = Duration::millis(300);
    start(limits);
    Pair p = connected(8015);
    close(p.client);
    const auto r = record(p.client_port);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ending, Ending::half_open);
    EXPECT_EQ(r->closer, Closer::client);
    EXPECT_FALSE(r->time_wait);
    const auto a = alert(Alert::Kind::fin_wait_2_stuck);
    ASSERT_TRUE(a);
    EXPECT_NE(a->text.find("an orphan"), std::string::npos) << a->text;
    close(p.server);
}

TEST_F(Watch, ARstStormIsFlagged) {
    AlertLimits limits;
    limits.resets_per_second = 10;
    start(limits);
    {
        auto in = lab::InNamespace::enter(*ns_);
        for (int i = 0; i < 10; ++i) {  // each refused: a RST sent for no socket, and received
            const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const sockaddr_in to = test::loopback(8012);
            (void)connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
            close(fd);
        }
    }
    const auto a = alert(Alert::Kind::rst_storm);
    ASSERT_TRUE(a);
    EXPECT_NE(a->text.find("RSTs in one second"), std::string::npos) << a->text;
}

// --cgroup: only what the processes of one cgroup own.
TEST_F(Watch, TheCgroupFilterKeepsOnlyItsProcessesConnections) {
    const std::string dir = "/sys/fs/cgroup/unified/tdwatch-" + std::to_string(getpid());
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
    struct stat st{};
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    filter_.cgroup = st.st_ino;
    start();
    // Outside the cgroup: not reported.
    Pair outside = connected(8013);
    close(outside.client);
    drain(outside.server);
    close(outside.server);
    // A child inside the cgroup makes one connection and closes it.
    const pid_t child = fork();
    if (child == 0) {
        FILE* procs = std::fopen((dir + "/cgroup.procs").c_str(), "w");
        if (!procs) _exit(1);
        std::fprintf(procs, "%d\n", getpid());
        std::fclose(procs);
        Pair inside = connected(8014);
        if (send(inside.client, "x", 1, 0) != 1) _exit(2);
        char b;
        if (recv(inside.server, &b, 1, 0) != 1) _exit(3);
        close(inside.client);
        drain(inside.server);
        close(inside.server);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    const auto in_record = record(8014);
    ASSERT_TRUE(in_record);
    EXPECT_EQ(in_record->cgroup, static_cast<std::uint64_t>(st.st_ino));
    EXPECT_EQ(in_record->pid, static_cast<std::uint32_t>(child));
    {
        std::lock_guard g{lock_};
        for (const auto& r : records_) EXPECT_NE(r.tuple.remote.port, 8013) << "a connection from outside the cgroup";
        for (const auto& r : records_) EXPECT_NE(r.tuple.local.port, 8013) << "a connection from outside the cgroup";
    }
    stop_.store(true);
    runner_.join();
    rmdir(dir.c_str());
}

// Without BPF the socket table alone: a connection closed first by the
// client shows up in TIME_WAIT, and that is its graceful end.
TEST_F(Watch, SockDiagAloneReportsAGracefulCloseFromItsTimeWait) {
    start({}, WatchOptions::Source::sock_diag);
    ASSERT_NE(monitor_, nullptr);
    EXPECT_STREQ(monitor_->source_name(), "sock_diag");
    Pair p = connected(8007);
    close(p.client);
    drain(p.server);
    close(p.server);
    const auto c = record(p.client_port);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ending, Ending::graceful);
    EXPECT_TRUE(c->time_wait);
    EXPECT_EQ(c->netns, monitor_->netns_inode());
    EXPECT_GE(monitor_->metrics().sockets[TcpState::time_wait], 1u);
}

// A peer cut off mid-transfer: our engine in the lab is the peer, the lab
// cuts the link, the kernel's retransmissions give up (TCP_USER_TIMEOUT).
TEST_F(Watch, APeerCutOffMidTransferTimesOut) {
    auto tun = lab::TunDevice::open(*ns_, "td0", lab::LabAddresses::standard());
    ASSERT_TRUE(tun) << tun.error().message;
    lab::LabFlags f;
    f.app = {"listen 80", "accept", "read 100", "wait 10s"};
    f.cut = {"at=500ms"};
    auto sc = lab::lab_scenario(f, lab::LabAddresses::standard());
    ASSERT_TRUE(sc);
    lab::LabPlan plan;
    plan.scenario = std::move(*sc);
    plan.limit = Duration::seconds(20);
    std::atomic<bool> lab_stop{false};
    std::atomic<bool> wind{false};
    std::thread peer{[&] { (void)lab::run_lab(*tun, plan, lab_stop, wind); }};
    start();
    std::uint16_t port = 0;
    {
        auto in = lab::InNamespace::enter(*ns_);
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const unsigned timeout_ms = 1500;
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof timeout_ms);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(80);
        to.sin_addr.s_addr = htonl(0xC0000202);  // 192.0.2.2, our engine
        ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
        sockaddr_in me{};
        socklen_t len = sizeof me;
        getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
        port = ntohs(me.sin_port);
        char data[100] = {};
        ASSERT_EQ(send(fd, data, sizeof data, 0), 100);
        std::this_thread::sleep_for(700ms);  // the link is cut now
        ASSERT_EQ(send(fd, data, sizeof data, 0), 100);
        char b;
        EXPECT_EQ(recv(fd, &b, 1, 0), -1);
        EXPECT_EQ(errno, ETIMEDOUT);
        close(fd);
    }
    const auto c = record(port);
    lab_stop.store(true);
    peer.join();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ending, Ending::timeout);
    EXPECT_EQ(c->error, ETIMEDOUT);
    EXPECT_GE(c->retransmissions, 1u);
    EXPECT_TRUE(alert(Alert::Kind::retransmit_give_up));
}

} // namespace
} // namespace teardown::watch
