#include <gtest/gtest.h>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/vocabulary.hpp"

using namespace teardown;

TEST(Vocabulary, every_word_round_trips_through_its_text_form) {
    for (std::size_t i = 0; i < k_tcp_state_names.size(); ++i) {
        auto s = static_cast<TcpState>(i);
        EXPECT_EQ(parse_word<TcpState>(to_string(s)), s);
    }
    for (std::size_t i = 0; i < k_cause_names.size(); ++i) {
        auto c = static_cast<Cause>(i);
        EXPECT_EQ(parse_word<Cause>(to_string(c)), c);
    }
    for (std::size_t i = 0; i < k_anomaly_names.size(); ++i) {
        auto a = static_cast<Anomaly>(i);
        EXPECT_EQ(parse_word<Anomaly>(to_string(a)), a);
    }
    EXPECT_EQ(to_string(TcpState::fin_wait_2), "fin_wait_2");
    EXPECT_EQ(to_string(Ending::graceful_unconfirmed), "graceful_unconfirmed");
    EXPECT_EQ(parse_word<Ending>("nonsense"), std::nullopt);
}

TEST(Vocabulary, synchronized_states_are_those_after_the_handshake) {
    EXPECT_FALSE(is_synchronized(TcpState::syn_received));
    EXPECT_TRUE(is_synchronized(TcpState::established));
    EXPECT_TRUE(is_synchronized(TcpState::time_wait));
}

TEST(AnomalySet, lists_members_in_vocabulary_order) {
    AnomalySet set;
    EXPECT_TRUE(set.empty());
    set.add(Anomaly::syn_retransmitted);
    set.add(Anomaly::fin_retransmitted);
    set.add(Anomaly::fin_retransmitted);
    EXPECT_EQ(set.size(), 2u);
    EXPECT_EQ(set.to_string(), "fin_retransmitted,syn_retransmitted");
    EXPECT_TRUE(set.has(Anomaly::fin_retransmitted));
    EXPECT_FALSE(set.has(Anomaly::challenge_ack));
}

TEST(Time, instants_and_durations_compose) {
    auto t0 = Instant::from_millis(1500);
    auto t1 = t0 + Duration::seconds(60);
    EXPECT_EQ((t1 - t0).count_millis(), 60'000);
    EXPECT_LT(t0, t1);
    EXPECT_TRUE((t1 + Duration::infinite()).is_never());
    EXPECT_GT(Instant::never(), t1);
}

TEST(Result, carries_a_value_or_an_error) {
    Result<int> good{42};
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 42);
    Result<int> bad{Error::truncated("tcp header: 12 of 20 bytes")};
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::truncated);
    EXPECT_EQ(bad.error().message, "tcp header: 12 of 20 bytes");
    Result<void> fine;
    EXPECT_TRUE(fine.ok());
}
