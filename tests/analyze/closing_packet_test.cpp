// Each test is a ladder: client on the left, server on the right, one line per segment.
#include <gtest/gtest.h>

#include "analyze/closing_packet.hpp"

using namespace teardown;
using namespace teardown::analyze;
using wire::TcpFlags;

namespace {

constexpr std::uint8_t S = TcpFlags::syn, A = TcpFlags::ack, F = TcpFlags::fin, R = TcpFlags::rst,
                       P = TcpFlags::psh;

struct Ladder {
    ClosingTracker tracker;
    ClosingKind client(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0) {
        return tracker.on_segment(Side::client, TcpFlags{flags}, SeqNum{seq}, SeqNum{ack}, len).kind;
    }
    ClosingKind server(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0) {
        return tracker.on_segment(Side::server, TcpFlags{flags}, SeqNum{seq}, SeqNum{ack}, len).kind;
    }
    // client ISN 100, server ISN 500
    void open() {
        client(S, 100, 0);
        server(S | A, 500, 101);
        client(A, 101, 501);
    }
};

} // namespace

TEST(ClosingPacket, four_way_close_names_each_step) {
    Ladder l;
    l.open();
    EXPECT_EQ(l.client(F | A, 101, 501), ClosingKind::fin_starts_close);   // 1. FIN
    EXPECT_EQ(l.server(A, 501, 102), ClosingKind::ack_of_fin);             // 2. ACK
    EXPECT_EQ(l.server(F | A, 501, 102), ClosingKind::fin_closes_too);     // 3. FIN
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::last_ack);               // 4. ACK
    EXPECT_TRUE(l.tracker.finished());
}

TEST(ClosingPacket, three_way_close_fin_rides_on_the_ack) {
    Ladder l;
    l.open();
    EXPECT_EQ(l.client(F | A, 101, 501), ClosingKind::fin_starts_close);
    EXPECT_EQ(l.server(F | A, 501, 102), ClosingKind::fin_three_way);
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::last_ack);
}

TEST(ClosingPacket, simultaneous_close_fins_cross) {
    Ladder l;
    l.open();
    EXPECT_EQ(l.client(F | A, 101, 501), ClosingKind::fin_starts_close);
    EXPECT_EQ(l.server(F | A, 501, 101), ClosingKind::fin_simultaneous);  // has not seen the client's FIN
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::ack_of_fin);
    EXPECT_EQ(l.server(A, 502, 102), ClosingKind::last_ack);
}

TEST(ClosingPacket, half_close_data_after_the_first_fin_is_not_closing) {
    Ladder l;
    l.open();
    l.client(F | A, 101, 501);
    l.server(A, 501, 102);
    EXPECT_EQ(l.server(P | A, 501, 102, 100), ClosingKind::not_closing);  // server keeps sending
    EXPECT_EQ(l.client(A, 102, 601), ClosingKind::not_closing);           // client keeps ACKing
    EXPECT_EQ(l.server(F | A, 601, 102), ClosingKind::fin_closes_too);
    EXPECT_EQ(l.client(A, 102, 602), ClosingKind::last_ack);
}

TEST(ClosingPacket, lost_last_ack_shows_fin_retransmitted_and_re_ack) {
    Ladder l;
    l.open();
    l.client(F | A, 101, 501);
    l.server(A, 501, 102);
    l.server(F | A, 501, 102);
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::last_ack);  // lost on the way
    EXPECT_EQ(l.server(F | A, 501, 102), ClosingKind::fin_retransmitted);
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::ack_of_fin_repeated);  // from TIME_WAIT
    EXPECT_EQ(l.client(A, 102, 502), ClosingKind::not_closing);  // a plain duplicate after that
}

TEST(ClosingPacket, fin_with_data_occupies_the_sequence_number_after_the_data) {
    Ladder l;
    l.open();
    EXPECT_EQ(l.client(F | P | A, 101, 501, 10), ClosingKind::fin_starts_close);
    EXPECT_EQ(l.server(A, 501, 111), ClosingKind::not_closing);  // ACKs the data only
    EXPECT_EQ(l.server(A, 501, 112), ClosingKind::ack_of_fin);
}

TEST(ClosingPacket, rst_to_a_syn_is_a_refusal) {
    Ladder l;
    l.client(S, 100, 0);
    EXPECT_EQ(l.server(R | A, 0, 101), ClosingKind::rst_refused);
    EXPECT_TRUE(l.tracker.finished());
}

TEST(ClosingPacket, rst_in_an_open_connection_is_abortive) {
    Ladder l;
    l.open();
    EXPECT_EQ(l.server(R | A, 501, 101), ClosingKind::rst_abort);
}

TEST(ClosingPacket, rst_after_a_fin_turns_the_close_abortive) {
    Ladder l;
    l.open();
    l.client(F | A, 101, 501);
    EXPECT_EQ(l.server(R, 501, 0), ClosingKind::rst_after_fin);
}

TEST(ClosingClassifier, the_first_syn_decides_the_client_and_labels_say_so) {
    ClosingClassifier c;
    auto cli = wire::Endpoint{*wire::IpAddress::parse("192.0.2.1"), 40000};
    auto srv = wire::Endpoint{*wire::IpAddress::parse("192.0.2.2"), 80};
    c.on_segment(cli, srv, TcpFlags{S}, SeqNum{1}, SeqNum{0}, 0);
    c.on_segment(srv, cli, TcpFlags{S | A}, SeqNum{9}, SeqNum{2}, 0);
    auto label = c.on_segment(srv, cli, TcpFlags{F | A}, SeqNum{10}, SeqNum{2}, 0);
    EXPECT_EQ(label.kind, ClosingKind::fin_starts_close);
    EXPECT_EQ(label.from, Side::server);
    EXPECT_EQ(label.text(), "FIN from server: starts close");
    EXPECT_EQ(c.connections(), 1u);
}

TEST(ClosingClassifier, mid_connection_the_lower_port_is_taken_for_the_server) {
    ClosingClassifier c;
    auto cli = wire::Endpoint{*wire::IpAddress::parse("2001:db8::1"), 50000};
    auto srv = wire::Endpoint{*wire::IpAddress::parse("2001:db8::2"), 443};
    auto label = c.on_segment(srv, cli, TcpFlags{R}, SeqNum{10}, SeqNum{0}, 0);
    EXPECT_EQ(label.from, Side::server);
    EXPECT_EQ(label.text(), "RST from server: abortive close");
}

TEST(ClosingClassifier, a_new_syn_after_the_close_is_a_new_connection) {
    ClosingClassifier c;
    auto cli = wire::Endpoint{*wire::IpAddress::parse("192.0.2.1"), 40000};
    auto srv = wire::Endpoint{*wire::IpAddress::parse("192.0.2.2"), 80};
    c.on_segment(cli, srv, TcpFlags{S}, SeqNum{1}, SeqNum{0}, 0);
    c.on_segment(srv, cli, TcpFlags{R | A}, SeqNum{0}, SeqNum{2}, 0);
    c.on_segment(cli, srv, TcpFlags{S}, SeqNum{1000}, SeqNum{0}, 0);
    auto label = c.on_segment(cli, srv, TcpFlags{F | A}, SeqNum{1001}, SeqNum{0}, 0);
    EXPECT_EQ(label.kind, ClosingKind::fin_starts_close);
}

TEST(ClosingClassifier, forgets_finished_connections_after_linger_and_idle_ones_after_idle) {
    ClosingClassifier c{ClosingClassifier::Limits{Duration::seconds(240), Duration::seconds(3600)}};
    auto cli = wire::Endpoint{*wire::IpAddress::parse("192.0.2.1"), 40000};
    auto srv = wire::Endpoint{*wire::IpAddress::parse("192.0.2.2"), 80};
    auto idle_cli = wire::Endpoint{*wire::IpAddress::parse("192.0.2.3"), 40001};
    const Instant t0 = Instant::from_seconds(1000);
    c.on_segment(cli, srv, TcpFlags{S}, SeqNum{1}, SeqNum{0}, 0, t0);
    c.on_segment(srv, cli, TcpFlags{R | A}, SeqNum{0}, SeqNum{2}, 0, t0);  // refused: finished
    c.on_segment(idle_cli, srv, TcpFlags{S}, SeqNum{1}, SeqNum{0}, 0, t0);  // open, then silent
    EXPECT_EQ(c.connections(), 2u);

    auto other = wire::Endpoint{*wire::IpAddress::parse("192.0.2.9"), 40009};
    c.on_segment(other, srv, TcpFlags{S}, SeqNum{1}, SeqNum{0}, 0, t0 + Duration::seconds(300));
    EXPECT_EQ(c.connections(), 2u);  // the refused one is gone, the idle one stays
    EXPECT_EQ(c.forgotten(), 1u);

    c.on_segment(other, srv, TcpFlags{A}, SeqNum{2}, SeqNum{0}, 0, t0 + Duration::seconds(3700));
    EXPECT_EQ(c.connections(), 1u);  // now the idle one is gone too
    EXPECT_EQ(c.forgotten(), 2u);
}
