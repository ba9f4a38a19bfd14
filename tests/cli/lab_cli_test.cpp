// `teardown lab` as a user runs it: a service for a program started in the
// namespace, the capture read by real tshark, and the clear errors when it
// cannot run (not root, no TUN, the namespace taken, a bad impairment).
#include <gtest/gtest.h>

#include <string>

#include "cli_test_support.hpp"

namespace teardown::cli_test {
namespace {

std::string netns_name() {
    static int n = 0;
    return "tdcli-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

std::string lab(const std::string& args) { return std::string{TEARDOWN_BINARY} + " lab " + args; }

TEST(LabCli, ServesCurlAndTsharkReadsTheCaptureOfTheTunDevice) {
    const std::string dir = ::testing::TempDir();
    const std::string pcap = dir + "lab-cli.pcap";
    const std::string events = dir + "lab-cli.jsonl";
    const auto r = run(lab("serve --netns " + netns_name() + " --service http --pcap " + pcap + " --events " + events +
                           " --ladder -- curl -sS -m 10 -H 'Connection: close' http://192.0.2.2/hello"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("teardown lab: GET /hello answered by teardown's TCP engine"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("graceful"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("http: 1 connections served, 1 responses"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ESTABLISHED->FIN_WAIT_1 (app_close)"), std::string::npos) << "the ladder: " << r.out;
    // tshark sees the same close: two FINs, no RST.
    const auto fins = run("tshark -r " + pcap + " -Y 'tcp.flags.fin == 1' -T fields -e ip.src");
    ASSERT_EQ(fins.status, 0) << fins.err;
    EXPECT_EQ(fins.out, "192.0.2.2\n192.0.2.1\n");
    const auto rsts = run("tshark -r " + pcap + " -Y 'tcp.flags.reset == 1'");
    EXPECT_EQ(rsts.out, "");
    const auto ev = run("grep -c state_change " + events);
    EXPECT_GE(std::stoi(ev.out), 5) << ev.out;
    std::remove(pcap.c_str());
    std::remove(events.c_str());
}

// nc (netcat-openbsd) as the kernel's server: it prints what it read and
// answers a line, then shuts its side down (-N) when its input ends.
TEST(LabCli, ConnectsToAKernelServerTheCommandStarts) {
    const std::string got = ::testing::TempDir() + "lab-cli-nc.out";
    const auto r = run(lab("connect --netns " + netns_name() + " --port 7000 --app 'connect kernel:7000; send 1000; shutdown; read eof; close' -- sh -c 'echo hello-from-the-kernel | nc -N -l 7000 > " +
                           got + "'"));
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("graceful"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("last error 0"), std::string::npos) << r.out;
    EXPECT_EQ(run("wc -c < " + got).out, "1000\n") << "nc read what we sent";
    std::remove(got.c_str());
}

TEST(LabCli, ConnectToAClosedKernelPortIsRefused) {
    const auto r = run(lab("connect --netns " + netns_name() + " --port 7 --app 'connect kernel:7'"));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("last error ECONNREFUSED"), std::string::npos) << r.out;
}

TEST(LabCli, RefusesAnImpairmentItCannotRead) {
    const auto r = run(lab("serve --netns " + netns_name() + " --impair drop=fni,from=kernel"));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown lab: --impair 'drop=fni,from=kernel': 'fni' is not a segment kind (any, syn, syn_ack, data, ack, fin, rst, ack_of_fin)\n");
    const auto h = run(lab("serve --netns " + netns_name() + " --impair drop=fin,from=server"));
    EXPECT_EQ(h.status, 2);
    EXPECT_EQ(h.err, "teardown lab: --impair 'drop=fin,from=server': no host is named 'server'\n");
}

TEST(LabCli, SaysWhenTheNamespaceExists) {
    const std::string name = netns_name();
    ASSERT_EQ(run("ip netns add " + name).status, 0);
    const auto r = run(lab("serve --netns " + name + " --for 1s"));
    run("ip netns del " + name);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown lab: network namespace '" + name + "' exists (/run/netns/" + name + "); remove it with `ip netns del " +
                         name + "` or choose another with --netns\n");
}

TEST(LabCli, SaysWhenItIsNotRoot) {
    const auto r = run("setpriv --reuid=65534 --regid=65534 --clear-groups " + lab("serve --netns " + netns_name()));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown lab: teardown lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make a network namespace\n");
}

TEST(LabCli, SaysWhenThereIsNoTunDevice) {
    // A mount namespace of its own where /dev/net is empty.
    const std::string name = netns_name();
    const auto r = run("unshare -m sh -c 'mount -t tmpfs none /dev/net && " + lab("serve --netns " + name) + "'");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("/dev/net/tun: No such file or directory (no TUN support"), std::string::npos) << r.err;
    EXPECT_EQ(run("ip netns list | grep -c " + name).out, "0\n") << "the namespace is removed on the way out";
}

} // namespace
} // namespace teardown::cli_test
