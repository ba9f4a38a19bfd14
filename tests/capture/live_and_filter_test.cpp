#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/live_capture.hpp"
#include "capture/packet_filter.hpp"
#include "support/loopback.hpp"
#include "wire/frame_builder.hpp"
#include "wire/packet.hpp"

using namespace teardown;
using namespace teardown::capture;

namespace {

std::vector<std::byte> tcp_frame(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
    wire::FrameSpec s;
    s.src = *wire::IpAddress::parse("192.0.2.1");
    s.dst = *wire::IpAddress::parse("192.0.2.2");
    s.tcp.src_port = sport;
    s.tcp.dst_port = dport;
    s.tcp.flags = wire::TcpFlags{flags};
    std::vector<std::byte> out;
    EXPECT_TRUE(wire::build_frame(s, out).ok());
    return out;
}

Frame frame_over(const std::vector<std::byte>& bytes) {
    Frame f;
    f.data = bytes;
    f.orig_len = static_cast<std::uint32_t>(bytes.size());
    return f;
}

} // namespace

TEST(PacketFilter, tcpdump_expressions_select_frames) {
    auto port80 = PacketFilter::compile(wire::LinkType::ethernet, "tcp port 80");
    ASSERT_TRUE(port80.ok()) << port80.error().message;
    auto a = tcp_frame(40000, 80, wire::TcpFlags::syn);
    auto b = tcp_frame(40000, 443, wire::TcpFlags::syn);
    EXPECT_TRUE(port80->matches(frame_over(a)));
    EXPECT_FALSE(port80->matches(frame_over(b)));

    auto fins = PacketFilter::compile(wire::LinkType::ethernet, "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0");
    ASSERT_TRUE(fins.ok()) << fins.error().message;
    auto fin = tcp_frame(1, 2, wire::TcpFlags::fin | wire::TcpFlags::ack);
    EXPECT_TRUE(fins->matches(frame_over(fin)));
    EXPECT_FALSE(fins->matches(frame_over(a)));
}

TEST(PacketFilter, a_bad_expression_names_itself_and_pcaps_reason) {
    auto bad = PacketFilter::compile(wire::LinkType::ethernet, "tcp prot 80");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind("filter 'tcp prot 80': ", 0), 0u) << bad.error().message;
}

TEST(PacketFilter, raw_link_type_maps_to_libpcaps_dlt) {
    EXPECT_EQ(link_type_of_dlt(dlt_of(wire::LinkType::raw)), wire::LinkType::raw);
    EXPECT_EQ(link_type_of_dlt(1), wire::LinkType::ethernet);
    EXPECT_EQ(link_type_of_dlt(276), wire::LinkType::linux_sll2);
}

TEST(LiveCapture, sees_the_handshake_of_a_loopback_connection) {
    if (geteuid() != 0) GTEST_SKIP() << "live capture needs root";
    // A listener on an ephemeral loopback port.
    const int listener = test::listen_on_loopback(0, 1);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const std::uint16_t port = ntohs(addr.sin_port);

    auto cap = LiveCapture::open("lo", "tcp port " + std::to_string(port));
    ASSERT_TRUE(cap.ok()) << cap.error().message;
    EXPECT_EQ(cap->link(), wire::LinkType::ethernet);

    const int client = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(client);

    bool saw_syn = false, saw_syn_ack = false, saw_fin = false;
    unsigned frames = 0, whole_micros = 0;
    Frame f;
    for (int i = 0; i < 20 && !(saw_syn && saw_syn_ack && saw_fin); ++i) {
        auto got = cap->next(f, Duration::millis(500));
        ASSERT_TRUE(got.ok()) << got.error().message;
        if (!*got) continue;
        ++frames;
        if (f.ts.nanos() % 1000 == 0) ++whole_micros;
        auto d = wire::decode(f.link, f.data, f.orig_len);
        ASSERT_TRUE(d.ok()) << d.error().message;
        ASSERT_TRUE(d->is_tcp());
        const auto flags = d->tcp->flags();
        if (flags.syn_set() && !flags.ack_set() && d->tcp->dst_port() == port) saw_syn = true;
        if (flags.syn_set() && flags.ack_set() && d->tcp->src_port() == port) saw_syn_ack = true;
        if (flags.fin_set()) saw_fin = true;
    }
    close(listener);
    EXPECT_TRUE(saw_syn);
    EXPECT_TRUE(saw_syn_ack);
    EXPECT_TRUE(saw_fin);
    // Stamped to the nanosecond: were they microseconds, every one would
    // be whole (by chance, one in a thousand is).
    EXPECT_LT(whole_micros, frames) << "every frame's time is whole microseconds";
    auto stats = cap->stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_GE(stats->received, 3u);
    EXPECT_EQ(stats->dropped_by_kernel, 0u);
}

TEST(LiveCapture, an_unknown_interface_is_a_clear_error) {
    if (geteuid() != 0) GTEST_SKIP() << "live capture needs root";
    auto cap = LiveCapture::open("no-such-if0", "");
    ASSERT_FALSE(cap.ok());
    EXPECT_EQ(cap.error().message.rfind("capture on no-such-if0: ", 0), 0u) << cap.error().message;
}
