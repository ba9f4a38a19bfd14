// Both ends' states inferred from the wire, for the seed's closes.
#include <gtest/gtest.h>

#include "analyze/inferred_states.hpp"
#include "sim/seed_situations.hpp"

using namespace teardown;
using namespace teardown::analyze;

namespace {

// The states each end passes through, in order, for a seed situation.
std::pair<std::vector<TcpState>, std::vector<TcpState>> paths(const std::string& name) {
    InferredEnds ends;
    std::vector<TcpState> client{TcpState::closed}, server{TcpState::listen};
    for (const auto& s : sim::seed_situations())
        if (s.name == name)
            for (const auto& w : s.conversation.segments())
                for (const auto& ch : ends.on_segment(w.from, w.tcp.flags, w.tcp.seq, w.tcp.ack,
                                                      static_cast<std::uint32_t>(w.payload.size())))
                    (ch.side == Side::client ? client : server).push_back(ch.to);
    return {client, server};
}

using T = TcpState;

} // namespace

TEST(InferredEnds, a_four_way_close_by_the_client) {
    const auto [c, s] = paths("four_way_close_by_client");
    EXPECT_EQ(c, (std::vector<T>{T::closed, T::syn_sent, T::established, T::fin_wait_1, T::fin_wait_2, T::time_wait}));
    EXPECT_EQ(s, (std::vector<T>{T::listen, T::syn_received, T::established, T::close_wait, T::last_ack, T::closed}));
}

// RFC 9293 §3.10.7.4: the FIN+ACK's ACK is processed first (FIN-WAIT-2),
// then its FIN (TIME-WAIT).
TEST(InferredEnds, a_three_way_close_takes_the_client_through_fin_wait_2_to_time_wait) {
    const auto [c, s] = paths("three_way_close");
    EXPECT_EQ(c, (std::vector<T>{T::closed, T::syn_sent, T::established, T::fin_wait_1, T::fin_wait_2, T::time_wait}));
    EXPECT_EQ(s.back(), T::closed);
}

TEST(InferredEnds, a_simultaneous_close_passes_through_closing_on_both_sides) {
    const auto [c, s] = paths("simultaneous_close");
    EXPECT_EQ(c, (std::vector<T>{T::closed, T::syn_sent, T::established, T::fin_wait_1, T::closing, T::time_wait}));
    EXPECT_EQ(s, (std::vector<T>{T::listen, T::syn_received, T::established, T::fin_wait_1, T::closing, T::time_wait}));
}

TEST(InferredEnds, a_refusal_closes_the_client_and_leaves_the_server_listening) {
    const auto [c, s] = paths("refused");
    EXPECT_EQ(c, (std::vector<T>{T::closed, T::syn_sent, T::closed}));
    EXPECT_EQ(s, (std::vector<T>{T::listen, T::syn_received, T::listen}));
}
