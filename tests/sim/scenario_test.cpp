// Scenario files: what they say, the errors a bad one gets, and the
// simulator's runs and verdicts for small scenarios written here.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/explore.hpp"
#include "sim/outcome.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

using namespace teardown;
using namespace teardown::sim;

namespace {

constexpr std::string_view k_close = R"(
name = "close"
[link]
delay = "5ms"
[[host]]
name = "client"
address = "192.0.2.1"
app = ["connect server:80", "send 100", "read 100", "close"]
[[host]]
name = "server"
address = "192.0.2.2"
app = ["listen 80", "accept", "read 100", "send 100", "read eof", "close"]
)";

Scenario scenario(std::string_view text) {
    auto s = parse_scenario(text, "s.toml");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : Scenario{};
}

std::string error_of(std::string_view text) {
    auto s = parse_scenario(text, "s.toml");
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.error().message;
}

std::string with(std::string_view extra) { return std::string{k_close} + std::string{extra}; }

} // namespace

TEST(Scenario, hosts_steps_links_impairments_and_expectations_are_read) {
    const auto s = scenario(with("[[impair]]\ndrop = \"fin\"\nfrom = \"server\"\nnth = 2\n[expect]\nending = \"graceful\"\n"
                                 "counter.client.TW = 1\n"));
    ASSERT_EQ(s.hosts.size(), 2u);
    EXPECT_EQ(s.hosts[0].app.size(), 4u);
    EXPECT_EQ(s.hosts[0].app[0].op, AppStep::Op::connect);
    EXPECT_EQ(s.hosts[0].app[0].host, "server");
    EXPECT_EQ(s.hosts[0].app[0].port, 80);
    EXPECT_EQ(s.hosts[0].app[0].line, 8);
    EXPECT_EQ(s.hosts[0].config.profile, engine::Profile::linux);
    EXPECT_EQ(s.link.delay, Duration::millis(5));
    ASSERT_EQ(s.impairments.size(), 1u);
    EXPECT_EQ(s.impairments[0].kind, SegmentKind::fin);
    EXPECT_EQ(s.impairments[0].nth, 2u);
    ASSERT_EQ(s.expect.size(), 2u);
    EXPECT_EQ(s.expect[1].key, "counter.client.TW");
}

TEST(Scenario, a_bad_scenario_names_its_line_and_what_is_wrong) {
    EXPECT_EQ(error_of(with("[link]\n")), "s.toml:13: table [link] is defined twice");
    EXPECT_EQ(error_of(with("[[impair]]\ndrop = \"fins\"\n")),
              "s.toml:14: 'fins' is not a segment kind (any, syn, syn_ack, data, ack, fin, rst, ack_of_fin)");
    EXPECT_EQ(error_of(with("[[impair]]\ndrop = \"fin\"\nfrom = \"nobody\"\n")), "s.toml:15: no host is named 'nobody'");
    EXPECT_EQ(error_of(with("[expect]\nending = \"graceful-ish\"\n")), "s.toml:14: 'graceful-ish' is not a value for 'ending'");
    EXPECT_EQ(error_of(with("[expect]\nstate.nobody = \"closed\"\n")), "s.toml:14: no host is named 'nobody'");
    EXPECT_EQ(error_of(with("[expect]\ncounter.client.NoSuch = 1\n")),
              "s.toml:14: 'counter.client.NoSuch' is not counter.HOST.NAME with NAME a counter (src/engine/mib.hpp)");
    EXPECT_EQ(error_of(with("[[partition]]\nat = \"2s\"\nheal = \"1s\"\n")), "s.toml:13: a partition heals after it starts");
    EXPECT_EQ(error_of(with("[[host]]\nname = \"third\"\naddress = \"192.0.2.1\"\n")),
              "s.toml:13: host 'third' has the address of 'client'");
    EXPECT_EQ(error_of(with("[oops]\n")),
              "s.toml:13: unknown section [oops] (known: [link], [[host]], [[impair]], [[partition]], [expect])");
    std::string bad_step{k_close};
    bad_step.replace(bad_step.find("\"send 100\""), 10, "\"sned 100\"");
    EXPECT_EQ(error_of(bad_step).substr(0, 42), "s.toml:8: app step \"sned 100\": unknown ste");
    std::string bad_delay{k_close};
    bad_delay.replace(bad_delay.find("\"5ms\""), 5, "\"5 ms\"");
    EXPECT_EQ(error_of(bad_delay), "s.toml:4: 'delay': '5 ms' is not a duration (10ms, 1.5s, 2m, ...)");
    std::string bad_connect{k_close};
    bad_connect.replace(bad_connect.find("server:80"), 9, "serve:80");
    EXPECT_EQ(error_of(bad_connect), "s.toml:8: app step \"connect serve:80\": no host is named 'serve'");
    EXPECT_EQ(error_of("[[host]]\nname = \"a\"\n"), "s.toml:1: host 'a' has no address");
}

TEST(Simulator, the_same_scenario_and_seed_make_the_same_run) {
    std::string lossy{k_close};
    lossy.replace(lossy.find("delay = \"5ms\""), 13, "delay = \"5ms\"\njitter = \"4ms\"\nloss = 0.2\nduplicate = 0.1\nreorder = 0.1");
    auto s = scenario(lossy);
    const sim::Run a = simulate(s);
    const sim::Run b = simulate(s);
    ASSERT_EQ(a.transmissions.size(), b.transmissions.size());
    for (std::size_t i = 0; i < a.transmissions.size(); ++i) {
        EXPECT_EQ(a.transmissions[i].segment, b.transmissions[i].segment);
        EXPECT_EQ(a.transmissions[i].arrives, b.transmissions[i].arrives);
        EXPECT_EQ(a.transmissions[i].fate, b.transmissions[i].fate);
    }
    s.seed = 99;
    const sim::Run c = simulate(s);
    bool differs = c.transmissions.size() != a.transmissions.size();
    for (std::size_t i = 0; !differs && i < a.transmissions.size(); ++i)
        differs = a.transmissions[i].fate != c.transmissions[i].fate || a.transmissions[i].arrives != c.transmissions[i].arrives;
    EXPECT_TRUE(differs);
}

TEST(Simulator, an_impairment_drops_exactly_the_segment_it_names) {
    const auto s = scenario(with("[[impair]]\ndrop = \"fin\"\nfrom = \"server\"\n"));
    const sim::Run run = simulate(s);
    std::vector<std::string> server_fins;
    for (const auto& t : run.transmissions)
        if (t.from == 1 && t.segment.tcp.flags.fin_set()) server_fins.emplace_back(to_string(t.fate));
    // The first FIN is lost, the retransmission arrives.
    EXPECT_EQ(server_fins, (std::vector<std::string>{"lost", "delivered"}));
    const auto conns = outcomes(s, run);
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_EQ(conns[0].ending, Ending::graceful);
}

TEST(Simulator, outcomes_say_who_closed_how_and_who_waited) {
    const auto s = scenario(k_close);
    const sim::Run run = simulate(s);
    EXPECT_TRUE(run.quiet);
    const auto conns = outcomes(s, run);
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_EQ(conns[0].ending, Ending::graceful);
    EXPECT_EQ(conns[0].closer, Closer::client);
    EXPECT_EQ(conns[0].pattern, Pattern::four_way);
    EXPECT_TRUE(conns[0].client_time_wait);
    EXPECT_FALSE(conns[0].server_time_wait);
    EXPECT_EQ(run.hosts[1].bytes_read, 100u);
    EXPECT_EQ(run.hosts[0].endpoints_left, 0u);
}

TEST(Simulator, an_expectation_the_run_does_not_meet_fails_naming_its_line) {
    const auto s = scenario(with("[expect]\nending = \"reset\"\ndelivered.server = 100\ntime_wait = \"server\"\n"));
    const sim::Run run = simulate(s);
    const auto results = check(s, run, outcomes(s, run));
    std::vector<std::string> failed;
    for (const auto& r : results)
        if (!r.ok) failed.push_back(r.message);
    EXPECT_EQ(failed, (std::vector<std::string>{"s.toml:14: ending is graceful, the scenario expects reset",
                                                "s.toml:16: time_wait is client, the scenario expects server"}));
}

TEST(Explore, every_schedule_of_two_losses_in_a_four_way_close_keeps_the_invariants) {
    const auto s = scenario(k_close);
    ExploreLimits limits;
    limits.max_losses = 2;
    const Exploration ex = explore(s, limits);
    EXPECT_TRUE(ex.complete);
    EXPECT_GE(ex.schedules, 15u);  // 4 closing segments, and the retransmissions each loss brings
    EXPECT_EQ(ex.violations, 0u) << (ex.first_violation ? ex.first_violation->schedule_text + ": " + ex.first_violation->broken.front() : "");
}

TEST(Explore, a_close_that_leaks_close_wait_is_a_violation_even_without_loss) {
    std::string leaky{k_close};
    leaky.replace(leaky.find("\"read eof\", \"close\""), 19, "\"silent\"");
    const auto s = scenario(leaky);
    ExploreLimits limits;
    limits.max_losses = 1;
    const Exploration ex = explore(s, limits);
    ASSERT_TRUE(ex.first_violation);
    EXPECT_EQ(ex.first_violation->schedule_text, "nothing lost");
    EXPECT_TRUE(std::any_of(ex.first_violation->broken.begin(), ex.first_violation->broken.end(),
                            [](const std::string& b) { return b == "server ended in close_wait, not closed"; }));
    EXPECT_EQ(ex.violations, ex.schedules);
}
