#include <gtest/gtest.h>

#include "engine/mib.hpp"
#include "engine/syn_cookie.hpp"

using namespace teardown;
using namespace teardown::engine;

namespace {

const wire::FourTuple k_tuple{{*wire::IpAddress::parse("192.0.2.2"), 80}, {*wire::IpAddress::parse("192.0.2.1"), 40000}};
constexpr std::uint64_t k_secret = 0x5eed;

} // namespace

TEST(SynCookie, carries_the_largest_listed_mss_at_or_below_the_peers) {
    const std::pair<std::uint16_t, std::uint16_t> cases[] = {{1460, 1460}, {9000, 1460}, {1452, 1440}, {1400, 1300}, {536, 536}, {100, 536}};
    for (const auto& [offered, kept] : cases) {
        const SeqNum cookie = syn_cookie(k_tuple, SeqNum{1000}, offered, 50, k_secret);
        EXPECT_EQ(check_syn_cookie(k_tuple, SeqNum{1000}, cookie, 50, k_secret), std::optional<std::uint16_t>{kept})
            << offered;
    }
}

TEST(SynCookie, is_good_for_two_minutes_after_its_own_and_no_longer) {
    const SeqNum cookie = syn_cookie(k_tuple, SeqNum{7}, 1460, 254, k_secret);
    EXPECT_TRUE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 254, k_secret));
    EXPECT_TRUE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 255, k_secret));
    EXPECT_TRUE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 256, k_secret));  // the minute byte wraps
    EXPECT_FALSE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 257, k_secret));
    EXPECT_FALSE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 253, k_secret));  // made in the future
}

TEST(SynCookie, belongs_to_its_four_tuple_peer_isn_and_secret) {
    const SeqNum cookie = syn_cookie(k_tuple, SeqNum{7}, 1460, 10, k_secret);
    wire::FourTuple other = k_tuple;
    other.remote.port = 40001;
    EXPECT_FALSE(check_syn_cookie(other, SeqNum{7}, cookie, 10, k_secret));
    EXPECT_FALSE(check_syn_cookie(k_tuple, SeqNum{7 + 100000}, cookie, 10, k_secret));
    EXPECT_FALSE(check_syn_cookie(k_tuple, SeqNum{7}, cookie, 10, k_secret + 1));
    // The low bits hold the MSS index beside a keyed value: a neighbour says
    // another MSS or nothing (as in Bernstein's layout, which Linux uses).
    EXPECT_FALSE(check_syn_cookie(k_tuple, SeqNum{7}, cookie + 1u, 10, k_secret));
}

TEST(SynCookie, guesses_rarely_pass) {
    // A blind attacker's ACK numbers: about 4 in 2^24 pass for each of three minutes.
    int passed = 0;
    for (std::uint32_t guess = 0; guess < 200000; ++guess)
        if (check_syn_cookie(k_tuple, SeqNum{7}, SeqNum{guess * 2654435761u}, 10, k_secret)) ++passed;
    EXPECT_LE(passed, 2);
}

TEST(Mib, counters_are_found_by_their_nstat_names) {
    EXPECT_EQ(counter_named("TcpExtSyncookiesSent"), Counter::syncookies_sent);
    EXPECT_EQ(counter_named("TcpExtTW"), Counter::time_waited);
    EXPECT_EQ(counter_named("TcpOutRsts"), Counter::out_rsts);
    EXPECT_EQ(counter_named("TcpExtTeardownConnectionsFreed"), Counter::connections_freed);
    EXPECT_EQ(counter_named("TcpExtOutRsts"), std::nullopt);  // OutRsts is in the Tcp group
    EXPECT_EQ(counter_name(Counter::syncookies_failed), "SyncookiesFailed");
}
