#include <gtest/gtest.h>

#include "core/seq_num.hpp"

using teardown::SeqNum;

TEST(SeqNum, ordering_wraps_around_the_circle) {
    SeqNum near_top{0xFFFF'FFF0u};
    SeqNum wrapped{0x0000'0010u};
    EXPECT_LT(near_top, wrapped);
    EXPECT_GT(wrapped, near_top);
    EXPECT_EQ(wrapped - near_top, 0x20);
    EXPECT_EQ(near_top + 0x20u, wrapped);
}

TEST(SeqNum, distance_is_signed) {
    EXPECT_EQ(SeqNum{100} - SeqNum{150}, -50);
    EXPECT_EQ(SeqNum{150} - SeqNum{100}, 50);
}

TEST(SeqNum, in_range_is_half_open_and_wraps) {
    SeqNum lo{0xFFFF'FF00u};
    SeqNum hi = lo + 0x200u;
    EXPECT_TRUE(lo.in_range(lo, hi));
    EXPECT_TRUE(SeqNum{5}.in_range(lo, hi));
    EXPECT_FALSE(hi.in_range(lo, hi));
    EXPECT_FALSE(SeqNum{5}.in_range(lo, lo));
}

TEST(SeqNum, max_and_min_follow_modular_order) {
    SeqNum a{0xFFFF'FFFFu}, b{1};
    EXPECT_EQ(teardown::max(a, b), b);
    EXPECT_EQ(teardown::min(a, b), a);
}
