#include <gtest/gtest.h>

#include <set>

#include "sim/conversation.hpp"

using namespace teardown;
using namespace teardown::sim;
using wire::TcpFlags;

namespace {

Conversation::Options options() {
    Conversation::Options o;
    o.client = {*wire::IpAddress::parse("192.0.2.1"), 40000};
    o.server = {*wire::IpAddress::parse("192.0.2.2"), 80};
    o.client_isn = 100;
    o.server_isn = 500;
    return o;
}

struct Expect {
    Side from;
    std::uint8_t flags;
    std::uint32_t seq;
    std::uint32_t ack;
    std::size_t len;
};

void expect_ladder(const Conversation& c, const std::vector<Expect>& ladder) {
    ASSERT_EQ(c.segments().size(), ladder.size());
    for (std::size_t i = 0; i < ladder.size(); ++i) {
        const auto& s = c.segments()[i];
        SCOPED_TRACE("segment " + std::to_string(i + 1));
        EXPECT_EQ(s.from, ladder[i].from);
        EXPECT_EQ(s.tcp.flags.bits(), ladder[i].flags);
        EXPECT_EQ(s.tcp.seq.raw(), ladder[i].seq);
        if (s.tcp.flags.ack_set()) {
            EXPECT_EQ(s.tcp.ack.raw(), ladder[i].ack);
        }
        EXPECT_EQ(s.payload.size(), ladder[i].len);
    }
}

constexpr std::uint8_t S = TcpFlags::syn, A = TcpFlags::ack, F = TcpFlags::fin, R = TcpFlags::rst,
                       P = TcpFlags::psh;
constexpr Side C = Side::client, Sv = Side::server;

} // namespace

TEST(Conversation, four_way_close_numbers_every_segment) {
    Conversation c{options()};
    c.open().send(C, 10).ack(Sv).fin(C).ack(Sv).fin(Sv).ack(C);
    expect_ladder(c, {
        {C, S, 100, 0, 0},
        {Sv, S | A, 500, 101, 0},
        {C, A, 101, 501, 0},
        {C, P | A, 101, 501, 10},
        {Sv, A, 501, 111, 0},
        {C, F | A, 111, 501, 0},
        {Sv, A, 501, 112, 0},
        {Sv, F | A, 501, 112, 0},
        {C, A, 112, 502, 0},
    });
}

TEST(Conversation, a_lost_last_ack_leaves_the_fin_unacknowledged_so_it_is_retransmitted) {
    Conversation c{options()};
    c.open().fin(C).fin(Sv).lose_next().ack(C).retransmit(Sv).ack(C);
    const auto& s = c.segments();
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(s[6].tcp.seq, s[4].tcp.seq);            // the same FIN again
    EXPECT_TRUE(s[6].tcp.flags.fin_set());
    EXPECT_EQ(s[7].tcp.ack.raw(), 502u);               // re-ACKed from TIME_WAIT
}

TEST(Conversation, held_segments_cross_so_both_fins_ack_only_the_syn) {
    Conversation c{options()};
    c.open().hold_next().fin(C).hold_next().fin(Sv).deliver().ack(C).ack(Sv);
    const auto& s = c.segments();
    EXPECT_EQ(s[3].tcp.ack.raw(), 501u);
    EXPECT_EQ(s[4].tcp.ack.raw(), 101u);  // the server had not yet received the client's FIN
    EXPECT_EQ(s[5].tcp.ack.raw(), 502u);
    EXPECT_EQ(s[6].tcp.ack.raw(), 102u);
}

TEST(Conversation, refusal_answers_the_syn_with_rst_ack_at_sequence_zero) {
    Conversation c{options()};
    c.syn(C).refuse();
    expect_ladder(c, {{C, S, 100, 0, 0}, {Sv, R | A, 0, 101, 0}});
}

TEST(Conversation, syns_carry_options_and_time_advances_by_step) {
    Conversation c{options()};
    c.syn(C).after(Duration::millis(10)).syn(Sv);
    const auto& s = c.segments();
    EXPECT_EQ(s[0].tcp.options.mss, 1460);
    EXPECT_EQ(s[0].tcp.options.window_scale, 7);
    EXPECT_TRUE(s[0].tcp.options.sack_permitted);
    EXPECT_EQ((s[1].at - s[0].at).count_millis(), 11);
}

#include "sim/seed_situations.hpp"

TEST(SeedSituations, every_situation_is_named_and_uses_its_own_client_port) {
    auto all = seed_situations();
    ASSERT_GE(all.size(), 10u);
    std::set<std::uint16_t> ports;
    for (const auto& s : all) {
        EXPECT_FALSE(s.conversation.segments().empty()) << s.name;
        ports.insert(s.conversation.endpoint(Side::client).port);
    }
    EXPECT_EQ(ports.size(), all.size());
}

TEST(SeedSituations, ipv6_uses_the_documentation_prefix) {
    auto all = seed_situations(AddressFamily::v6);
    EXPECT_EQ(all.front().conversation.segments().front().src.to_string(), "2001:db8::1");
}
