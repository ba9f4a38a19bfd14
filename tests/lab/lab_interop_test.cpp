// Our engine against the Linux kernel's TCP, over a TUN device in a
// namespace each test makes and removes: every way a connection ends, in
// both roles, over IPv4 and IPv6. Each test checks the segments that
// crossed (the capture), the kernel socket's state and the errno the
// kernel-side calls saw.
#include <sys/ioctl.h>

#include "lab_test_support.hpp"

namespace teardown::lab::testing {
namespace {

using namespace std::chrono_literals;

class LabInterop : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "the lab tests make network namespaces: run them as root";
    }
    Lab lab{GetParam()};
    static LabFlags server(std::vector<std::string> app) {
        LabFlags f;
        f.app = std::move(app);
        f.settings = {"time_wait=1s"};  // TIME-WAIT ends within the test
        return f;
    }
};

std::string text(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

ssize_t send_all(int fd, std::size_t n) {
    std::vector<char> buf(n, 'k');
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = send(fd, buf.data() + done, n - done, MSG_NOSIGNAL);
        if (r <= 0) return r;
        done += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(done);
}

// Reads until EOF; the byte count, or -1 with errno.
ssize_t read_to_eof(int fd) {
    std::vector<char> buf(65536);
    ssize_t total = 0;
    for (;;) {
        const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
        if (r < 0) return -1;
        if (r == 0) return total;
        total += r;
    }
}

//  kernel                         teardown
//    |---- SYN, data ------------->|
//    |<--------------- FIN --------|  close(): FIN_WAIT_1
//    |  CLOSE_WAIT, read() = 0     |
//    |---- FIN ------------------->|  LAST_ACK        TIME_WAIT
//    |<--------------- ACK --------|
TEST_P(LabInterop, WeCloseFirstKernelGoesCloseWaitLastAckWeTimeWait) {
    lab.start(server({"listen 80", "accept", "read 5", "close"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    EXPECT_EQ(read_to_eof(fd), 0);  // our FIN
    EXPECT_TRUE(lab.wait_kernel_state(80, TcpState::close_wait));
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, std::nullopt)) << "the kernel's LAST_ACK never ended";
    const auto& r = lab.finish();
    EXPECT_TRUE(went_through(r.run, TcpState::time_wait)) << text(our_changes(r.run));
    EXPECT_TRUE(has_cause(r.run, Cause::timer_2msl));
    EXPECT_EQ(text(lab.closing_once()), "ours F, kernel F");
    EXPECT_EQ(r.run.hosts[k_ours].endpoints_left, 0u);
}

//  kernel                         teardown
//    |---- FIN ------------------->|  CLOSE_WAIT, read() = 0
//    |  FIN_WAIT_2                 |
//    |<--------------- FIN --------|  close(): LAST_ACK
//    |  TIME_WAIT --- ACK -------->|  CLOSED
TEST_P(LabInterop, KernelClosesFirstAndShowsTimeWait) {
    lab.start(server({"listen 80", "accept", "read eof", "close"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 100), 100);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, TcpState::time_wait));
    const auto& r = lab.finish();
    EXPECT_TRUE(went_through(r.run, TcpState::close_wait));
    EXPECT_TRUE(went_through(r.run, TcpState::last_ack));
    EXPECT_FALSE(went_through(r.run, TcpState::time_wait));
    EXPECT_EQ(r.run.hosts[k_ours].bytes_read, 100u);
    EXPECT_EQ(text(lab.closing_once()), "kernel F, ours F");
}

// Both FINs are held on the link 400 ms, so each is sent before the other
// arrives. (At 150 ms a CI run under load once had ours sent, held, taken
// and acknowledged before the test thread got to close(): no crossing.)
TEST_P(LabInterop, SimultaneousCloseGoesThroughClosingOnBothSides) {
    LabFlags f = server({"listen 80", "accept", "read 5", "close"});
    f.impair = {"delay=fin,from=kernel,by=400ms,count=0", "delay=fin,from=teardown,by=400ms,count=0"};
    lab.start(f);
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, TcpState::time_wait)) << "the kernel should end in TIME_WAIT too";
    const auto& r = lab.finish();
    EXPECT_TRUE(went_through(r.run, TcpState::closing)) << text(our_changes(r.run));
    EXPECT_TRUE(went_through(r.run, TcpState::time_wait));
    // The kernel's FIN crossed the device before ours: ours was held on the link.
    EXPECT_EQ(text(lab.closing_once()), "kernel F, ours F");
}

// The kernel half-closes; we go on sending 100 kB after its FIN.
TEST_P(LabInterop, KernelHalfClosesAndStillReadsWhatWeSend) {
    lab.start(server({"listen 80", "accept", "read eof", "send 100000", "close"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 10), 10);
    ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
    EXPECT_EQ(read_to_eof(fd), 100000);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, TcpState::time_wait));
    const auto& r = lab.finish();
    EXPECT_EQ(r.run.hosts[k_ours].bytes_sent, 100000u);
    EXPECT_TRUE(went_through(r.run, TcpState::close_wait));
    std::size_t data_after_fin = 0;
    bool fin_seen = false;
    for (const auto& s : lab.crossed()) {
        if (s.from_kernel && s.flags.fin_set()) fin_seen = true;
        if (fin_seen && !s.from_kernel) data_after_fin += s.payload;
    }
    EXPECT_EQ(data_after_fin, 100000u);
}

// We half-close; the kernel, in CLOSE_WAIT, goes on sending 100 kB.
TEST_P(LabInterop, WeHalfCloseAndStillReadWhatTheKernelSends) {
    lab.start(server({"listen 80", "accept", "shutdown", "read 100000", "read eof", "close"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(read_to_eof(fd), 0);
    EXPECT_TRUE(lab.wait_kernel_state(80, TcpState::close_wait));
    EXPECT_EQ(send_all(fd, 100000), 100000);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, std::nullopt));
    const auto& r = lab.finish();
    EXPECT_EQ(r.run.hosts[k_ours].bytes_read, 100000u);
    EXPECT_TRUE(went_through(r.run, TcpState::fin_wait_2));
    EXPECT_TRUE(went_through(r.run, TcpState::time_wait));
}

// RFC 9293 §3.10.4 via Linux: close() with unread data resets.
TEST_P(LabInterop, KernelCloseWithUnreadDataResetsUs) {
    lab.start(server({"listen 80", "accept", "send 1000", "read eof"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    int queued = 0;
    for (int i = 0; i < 400 && queued < 1000; ++i) {
        std::this_thread::sleep_for(5ms);
        ioctl(fd, FIONREAD, &queued);
    }
    ASSERT_EQ(queued, 1000);
    close(fd);  // 1000 bytes unread
    const auto& r = lab.finish();
    EXPECT_EQ(r.run.hosts[k_ours].last_error, engine::Errno::econnreset);
    EXPECT_TRUE(has_cause(r.run, Cause::recv_rst));
    EXPECT_EQ(text(lab.closing()), "kernel R");
}

TEST_P(LabInterop, KernelLingerZeroResetsUs) {
    lab.start(server({"listen 80", "accept", "send 1", "read eof"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    char b;
    ASSERT_EQ(recv(fd, &b, 1, 0), 1);  // accepted: the reset finds our connection, not the accept queue
    const linger l{1, 0};
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    close(fd);
    const auto& r = lab.finish();
    EXPECT_EQ(r.run.hosts[k_ours].last_error, engine::Errno::econnreset);
    const auto c = lab.closing();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], "kernel R");
}

TEST_P(LabInterop, OurAbortGivesTheKernelEconnreset) {
    lab.start(server({"listen 80", "accept", "read 5", "abort"}));
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    char b;
    errno = 0;
    EXPECT_EQ(recv(fd, &b, 1, 0), -1);
    EXPECT_EQ(errno, ECONNRESET) << std::strerror(errno);
    EXPECT_EQ(lab.kernel_state(80), std::nullopt) << "a reset socket is gone";
    close(fd);
    const auto& r = lab.finish();
    EXPECT_TRUE(has_cause(r.run, Cause::app_abort));
    const auto c = lab.closing();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], "ours R");
}

//  kernel                        teardown
//    |<--------------- FIN --------|
//    |---- FIN ------------------->|  TIME_WAIT
//    |       x------- ACK ---------|  lost
//    |---- FIN (retransmitted) --->|  answered from TIME_WAIT
//    |<--------------- ACK --------|  the kernel's LAST_ACK ends
TEST_P(LabInterop, OurLastAckLostTheKernelRetransmitsItsFinAndTimeWaitAnswers) {
    LabFlags f = server({"listen 80", "accept", "read 5", "close"});
    f.settings = {"time_wait=5s"};
    f.impair = {"drop=ack_of_fin,from=teardown"};
    lab.start(f);
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    EXPECT_EQ(read_to_eof(fd), 0);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, std::nullopt, 8000)) << "the kernel never left LAST_ACK";
    lab.finish(true);
    EXPECT_EQ(text(lab.closing()), "ours F, kernel F, kernel F");
    // Only the second ACK crossed: the first was dropped on the link.
    int kernel_fins = 0;
    bool acked_after_second = false;
    for (const auto& s : lab.crossed()) {
        if (s.from_kernel && s.flags.fin_set()) ++kernel_fins;
        else if (!s.from_kernel && kernel_fins == 2 && s.flags.ack_set() && !s.flags.fin_set()) acked_after_second = true;
    }
    EXPECT_TRUE(acked_after_second);
}

// The kernel's ACK of our FIN is lost: we retransmit the FIN and the kernel ACKs it again.
TEST_P(LabInterop, KernelAckOfOurFinLostWeRetransmitTheFin) {
    LabFlags f = server({"listen 80", "accept", "read 5", "close"});
    f.impair = {"drop=ack_of_fin,from=kernel"};
    lab.start(f);
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    EXPECT_EQ(read_to_eof(fd), 0);
    // Hold our close long enough for the FIN to be retransmitted first.
    std::this_thread::sleep_for(1500ms);
    close(fd);
    EXPECT_TRUE(lab.wait_kernel_state(80, std::nullopt));
    const auto& r = lab.finish();
    const auto c = lab.closing();
    ASSERT_GE(c.size(), 3u) << text(c);
    EXPECT_EQ(c[0], "ours F");
    EXPECT_EQ(c[1], "ours F");
    EXPECT_GE(r.run.hosts[k_ours].mib[engine::Counter::timeouts], 1u);
    EXPECT_GE(r.run.hosts[k_ours].mib[engine::Counter::retrans_segs], 1u);
}

// The link is cut after the data: our FIN is retransmitted until the limit, then ETIMEDOUT.
TEST_P(LabInterop, KernelVanishesMidCloseOurRetransmissionLimitGivesEtimedout) {
    LabFlags f = server({"listen 80", "accept", "read 5", "wait 1s", "shutdown", "read eof"});
    f.settings = {"time_wait=1s", "data_retries=3", "rto_min=50ms"};
    f.cut = {"at=700ms"};
    lab.start(f);
    const int fd = lab.kernel_connect(80);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(send_all(fd, 5), 5);
    const auto& r = lab.finish();
    close(fd);
    EXPECT_EQ(r.run.hosts[k_ours].last_error, engine::Errno::etimedout);
    EXPECT_TRUE(has_cause(r.run, Cause::retransmit_limit)) << text(our_changes(r.run));
    for (const auto& s : lab.crossed()) EXPECT_FALSE(s.flags.fin_set() && !s.from_kernel) << "a FIN crossed the cut link";
}

// RFC 6191: the kernel's new SYN on the 4-tuple we hold in TIME_WAIT opens a new connection.
TEST_P(LabInterop, KernelSynOnOurTimeWaitTupleOpensANewConnection) {
    LabFlags f = server({"listen 80", "accept", "read 5", "close", "accept", "read 5", "close"});
    f.settings = {"time_wait=30s"};
    lab.start(f);
    const int a = lab.kernel_connect(80, 40000);
    ASSERT_GE(a, 0) << std::strerror(errno);  // bind or connect
    ASSERT_EQ(send_all(a, 5), 5);
    EXPECT_EQ(read_to_eof(a), 0);
    close(a);
    EXPECT_TRUE(lab.wait_kernel_state(80, std::nullopt));
    const int b = lab.kernel_connect(80, 40000);
    ASSERT_GE(b, 0) << "the SYN on the TIME_WAIT 4-tuple was refused: " << std::strerror(errno);
    ASSERT_EQ(send_all(b, 5), 5);
    EXPECT_EQ(read_to_eof(b), 0);
    close(b);
    const auto& r = lab.finish(true);
    EXPECT_TRUE(has_cause(r.run, Cause::syn_reuse_time_wait)) << text(our_changes(r.run));
    EXPECT_EQ(r.run.hosts[k_ours].mib[engine::Counter::tw_recycled], 1u);
}

// The kernel as server: we connect, send, half-close and read to its FIN.
//  teardown                        kernel
//    |---- SYN, 2000 bytes, FIN --->|  read() to EOF
//    |<-------- 500 bytes, FIN -----|  close()
//    |  TIME_WAIT ---- ACK -------->|
TEST_P(LabInterop, WeConnectToAKernelServerAndCloseFirst) {
    lab.open();
    const int l = lab.kernel_listen(7000);
    ASSERT_GE(l, 0) << std::strerror(errno);
    LabFlags f;
    f.app = {"connect kernel:7000", "send 2000", "shutdown", "read eof", "close"};
    f.settings = {"time_wait=1s"};
    lab.start(f);
    const int fd = accept(l, nullptr, nullptr);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(read_to_eof(fd), 2000);
    EXPECT_EQ(send_all(fd, 500), 500);
    close(fd);
    const auto& r = lab.finish();
    close(l);
    EXPECT_EQ(r.run.hosts[k_ours].bytes_read, 500u);
    EXPECT_EQ(r.run.hosts[k_ours].last_error, engine::Errno::none);
    EXPECT_TRUE(went_through(r.run, TcpState::time_wait));
    EXPECT_EQ(text(lab.closing_once()), "ours F, kernel F");
}

TEST_P(LabInterop, WeConnectToAClosedKernelPortAndAreRefused) {
    LabFlags f;
    f.app = {"connect kernel:7001"};
    lab.start(f);
    const auto& r = lab.finish();
    EXPECT_EQ(r.run.hosts[k_ours].last_error, engine::Errno::econnrefused);
    EXPECT_EQ(text(lab.closing()), "kernel R");
}

INSTANTIATE_TEST_SUITE_P(Families, LabInterop, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "ipv6" : "ipv4"; });

} // namespace
} // namespace teardown::lab::testing
