// The seed's situations, fed to the closing classifier: each close must be
// named step by step the way the seed describes it.
#include <gtest/gtest.h>

#include <map>

#include "analyze/closing_packet.hpp"
#include "sim/seed_situations.hpp"

using namespace teardown;
using namespace teardown::analyze;
using K = ClosingKind;

namespace {

std::vector<std::pair<Side, K>> closing_steps(const sim::Conversation& c) {
    ClosingClassifier classifier;
    std::vector<std::pair<Side, K>> out;
    for (const auto& s : c.segments()) {
        auto label = classifier.on_segment({s.src, s.tcp.src_port}, {s.dst, s.tcp.dst_port}, s.tcp.flags,
                                           s.tcp.seq, s.tcp.ack, static_cast<std::uint32_t>(s.payload.size()));
        if (label.is_closing()) out.emplace_back(label.from, label.kind);
    }
    return out;
}

constexpr Side C = Side::client, S = Side::server;

} // namespace

TEST(SeedSituationsClosing, each_close_is_named_step_by_step) {
    const std::map<std::string, std::vector<std::pair<Side, K>>> expected{
        {"four_way_close_by_client", {{C, K::fin_starts_close}, {S, K::ack_of_fin}, {S, K::fin_closes_too}, {C, K::last_ack}}},
        {"four_way_close_by_server", {{S, K::fin_starts_close}, {C, K::ack_of_fin}, {C, K::fin_closes_too}, {S, K::last_ack}}},
        {"three_way_close", {{C, K::fin_starts_close}, {S, K::fin_three_way}, {C, K::last_ack}}},
        {"simultaneous_close", {{C, K::fin_starts_close}, {S, K::fin_simultaneous}, {C, K::ack_of_fin}, {S, K::last_ack}}},
        {"half_close_server_keeps_sending", {{C, K::fin_starts_close}, {S, K::ack_of_fin}, {S, K::fin_closes_too}, {C, K::last_ack}}},
        {"refused", {{S, K::rst_refused}}},
        {"server_crash_reset", {{S, K::rst_abort}}},
        {"reset_on_close_with_unread_data", {{S, K::rst_abort}}},
        {"lost_last_ack", {{C, K::fin_starts_close}, {S, K::ack_of_fin}, {S, K::fin_closes_too}, {C, K::last_ack},
                           {S, K::fin_retransmitted}, {C, K::ack_of_fin_repeated}}},
        {"peer_vanishes_after_fin", {{C, K::fin_starts_close}, {C, K::fin_retransmitted}, {C, K::fin_retransmitted},
                                     {C, K::fin_retransmitted}}},
        {"reset_after_fin", {{C, K::fin_starts_close}, {S, K::ack_of_fin}, {C, K::rst_after_fin}}},
    };
    auto situations = sim::seed_situations();
    ASSERT_EQ(situations.size(), expected.size());
    for (const auto& s : situations) {
        SCOPED_TRACE(s.name);
        ASSERT_TRUE(expected.count(s.name));
        EXPECT_EQ(closing_steps(s.conversation), expected.at(s.name));
    }
}
