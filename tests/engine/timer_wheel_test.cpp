// The timer wheel against what a sorted list of deadlines would say: exact
// deadlines whatever the jump, nothing early, nothing lost.
#include "engine/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace teardown::engine {
namespace {

Instant ms(std::int64_t n) { return Instant::from_millis(n); }

std::vector<TimerWheel::Id> expire(TimerWheel& w, Instant now) {
    std::vector<TimerWheel::Id> due;
    w.expire(now, due);
    return due;
}

TEST(TimerWheel, EmptyHasNoDeadline) {
    TimerWheel w;
    EXPECT_EQ(w.next_deadline(), Instant::never());
    EXPECT_TRUE(expire(w, ms(1'000'000)).empty());
}

TEST(TimerWheel, NextDeadlineIsExactNotTheTick) {
    TimerWheel w;
    const Instant at = Instant::from_nanos(200'000'123);  // 200 ms and 123 ns
    w.schedule(7, at);
    EXPECT_EQ(w.next_deadline(), at);
    EXPECT_TRUE(expire(w, at - Duration::nanos(1)).empty());  // same tick, a nanosecond early
    EXPECT_EQ(w.next_deadline(), at);
    EXPECT_EQ(expire(w, at), std::vector<TimerWheel::Id>{7});
    EXPECT_EQ(w.next_deadline(), Instant::never());
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, TimeWaitJumpFiresOnlyWhatIsDue) {
    // An RTO at 200 ms, a delayed ACK at 40 ms, TIME-WAIT at 60 s, keep-alive at 2 h.
    TimerWheel w;
    w.schedule(1, ms(200));
    w.schedule(2, ms(40));
    w.schedule(3, ms(60'000));
    w.schedule(4, ms(7'200'000));
    EXPECT_EQ(w.next_deadline(), ms(40));
    EXPECT_EQ(expire(w, ms(60'000)), (std::vector<TimerWheel::Id>{2, 1, 3}));  // in deadline order
    EXPECT_EQ(w.next_deadline(), ms(7'200'000));
    EXPECT_TRUE(expire(w, ms(7'199'999)).empty());
    EXPECT_EQ(expire(w, ms(7'200'000)), std::vector<TimerWheel::Id>{4});
}

TEST(TimerWheel, RescheduleAndCancelReplaceTheDeadline) {
    TimerWheel w;
    w.schedule(1, ms(100));
    w.schedule(1, ms(5'000));  // the RTO backed off
    w.schedule(2, ms(300));
    w.cancel(2);               // the ACK came
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(w.deadline(1), ms(5'000));
    EXPECT_EQ(w.next_deadline(), ms(5'000));
    EXPECT_TRUE(expire(w, ms(4'999)).empty());
    EXPECT_EQ(expire(w, ms(5'000)), std::vector<TimerWheel::Id>{1});
}

TEST(TimerWheel, ADeadlineInThePastIsDueAtOnce) {
    TimerWheel w;
    expire(w, ms(10'000));
    w.schedule(3, ms(10));
    EXPECT_EQ(w.next_deadline(), ms(10));
    EXPECT_EQ(expire(w, ms(10'000)), std::vector<TimerWheel::Id>{3});
}

TEST(TimerWheel, BeyondTheWheelsReachStillExact) {
    TimerWheel w;
    const Instant far = Instant::from_seconds(3'000LL * 24 * 3600);  // 3000 days: past the 834 the levels span
    w.schedule(9, far);
    w.schedule(8, ms(1));
    EXPECT_EQ(expire(w, ms(1)), std::vector<TimerWheel::Id>{8});
    EXPECT_EQ(w.next_deadline(), far);
    EXPECT_TRUE(expire(w, Instant::from_seconds(1'000LL * 24 * 3600)).empty());
    EXPECT_TRUE(expire(w, far - Duration::nanos(1)).empty());
    EXPECT_EQ(expire(w, far), std::vector<TimerWheel::Id>{9});
}

// Random schedules, cancels and jumps from a microsecond to days, checked
// against a sorted map after every step.
TEST(TimerWheel, AgreesWithASortedListOfDeadlines) {
    std::mt19937_64 rng{20261125};
    TimerWheel w;
    std::map<TimerWheel::Id, Instant> model;
    Instant now = ms(5);
    const std::int64_t spans[] = {1'000, 1'000'000, 50'000'000, 2'000'000'000, 90'000'000'000, 400'000'000'000'000};
    auto pick = [&](std::int64_t limit) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(limit)); };
    for (int step = 0; step < 200'000; ++step) {
        const auto id = static_cast<TimerWheel::Id>(rng() % 300);
        const int op = static_cast<int>(rng() % 10);
        if (op < 5) {
            const Instant at = now + Duration::nanos(pick(spans[rng() % 6]));
            w.schedule(id, at);
            model[id] = at;
        } else if (op < 6) {
            w.cancel(id);
            model.erase(id);
        } else {
            now += Duration::nanos(pick(spans[rng() % 6]));
            std::vector<TimerWheel::Id> due;
            w.expire(now, due);
            std::vector<std::pair<Instant, TimerWheel::Id>> want;
            for (auto it = model.begin(); it != model.end();) {
                if (it->second <= now) {
                    want.emplace_back(it->second, it->first);
                    it = model.erase(it);
                } else {
                    ++it;
                }
            }
            std::sort(want.begin(), want.end());
            std::vector<TimerWheel::Id> want_ids;
            for (const auto& [at, i] : want) want_ids.push_back(i);
            ASSERT_EQ(due, want_ids) << "step " << step;
        }
        Instant earliest = Instant::never();
        for (const auto& [i, at] : model) earliest = std::min(earliest, at);
        ASSERT_EQ(w.next_deadline(), earliest) << "step " << step;
        ASSERT_EQ(w.size(), model.size());
    }
}

} // namespace
} // namespace teardown::engine
