// `teardown sim run` as a user runs it: its files read back by real tshark
// (every segment, every flag) and by headless Chromium (the HTML ladder
// drawn and read back), its events as JSON, its exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli/cli_test_support.hpp"
#include "sim/outcome.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

using namespace teardown;
using namespace teardown::cli_test;

namespace {

const std::string k_scenarios = std::string{TEARDOWN_SOURCE_DIR} + "/scenarios/";

std::filesystem::path temp(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("teardown-sim-" + std::to_string(::getpid()) + "-" + name);
}

// What the simulator sent, in order: the flags byte of each segment.
std::vector<unsigned> flags_sent(const std::string& file) {
    auto sc = sim::load_scenario(file);
    EXPECT_TRUE(sc.ok());
    const sim::Run run = sim::simulate(*sc);
    std::vector<unsigned> out;
    for (const auto& e : run.trace)
        if (e.kind == sim::TraceEntry::Kind::send) out.push_back(run.transmissions[e.transmission].segment.tcp.flags.bits());
    return out;
}

} // namespace

TEST(SimCli, tshark_reads_the_pcap_without_complaint_and_agrees_on_every_flag) {
    for (const std::string name : {"lost-last-ack", "simultaneous-close", "server-crash-reset", "syn-flood-defended-server"}) {
        SCOPED_TRACE(name);
        const auto pcap = temp(name + ".pcap");
        const auto r = run(teardown_binary() + " sim run -q --pcap " + pcap.string() + " " + k_scenarios + name + ".toml");
        ASSERT_EQ(r.status, 0) << r.out << r.err;
        const auto t = run("tshark -n -r " + pcap.string() + " -T fields -e tcp.flags -e _ws.malformed");
        ASSERT_EQ(t.status, 0) << t.err;
        // Nothing on stderr but tshark's note that it runs as root.
        for (const auto& l : lines(t.err)) EXPECT_NE(l.find("Running as user"), std::string::npos) << l;
        std::vector<unsigned> theirs;
        for (const auto& line : lines(t.out)) {
            const auto tab = line.find('\t');
            const std::string flags = line.substr(0, tab);
            theirs.push_back(static_cast<unsigned>(std::stoul(flags, nullptr, 16)));
            // A packet tshark finds malformed fills the second field.
            EXPECT_TRUE(tab == std::string::npos || tab + 1 == line.size()) << line;
        }
        EXPECT_EQ(theirs, flags_sent(k_scenarios + name + ".toml"));
        std::filesystem::remove(pcap);
    }
}

TEST(SimCli, events_are_json_lines_one_per_state_change_and_call) {
    const auto events = temp("events.jsonl");
    const auto r = run(teardown_binary() + " sim run -q --events " + events.string() + " " + k_scenarios + "three-way-close.toml");
    ASSERT_EQ(r.status, 0) << r.err;
    std::ifstream in(events);
    std::string line;
    std::vector<std::string> client_path;
    std::size_t calls = 0;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        ASSERT_TRUE(j.contains("t") && j.contains("host") && j.contains("kind"));
        if (j["kind"] == "state_change" && j["host"] == "client")
            client_path.push_back(j["to"].get<std::string>() + "/" + j["cause"].get<std::string>());
        if (j["kind"] == "call") ++calls;
    }
    EXPECT_EQ(client_path, (std::vector<std::string>{"syn_sent/app_connect", "established/recv_syn_ack",
                                                     "fin_wait_1/app_close", "time_wait/recv_fin_ack", "closed/timer_2msl"}));
    EXPECT_GE(calls, 5u);
    std::filesystem::remove(events);
}

TEST(SimCli, a_scenario_that_does_not_end_as_it_expects_fails_and_says_where) {
    const auto file = temp("wrong.toml");
    std::string text;
    {
        std::ifstream in(k_scenarios + "four-way-close-by-client.toml");
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.replace(text.find("closer = \"client\""), 17, "closer = \"server\"");
    std::ofstream(file) << text;
    const auto r = run(teardown_binary() + " sim run -q " + file.string());
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find(file.string() + ":24: closer is client, the scenario expects server"), std::string::npos) << r.out;
    std::filesystem::remove(file);
}

TEST(SimCli, a_bad_scenario_file_is_one_line_naming_file_and_line) {
    const auto file = temp("bad.toml");
    std::ofstream(file) << "name = \"x\"\n[[host]]\nname = \"a\"\naddress = \"192.0.2.1\"\napp = [\"jump 3\"]\n";
    const auto r = run(teardown_binary() + " sim run " + file.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "teardown sim: " + file.string() +
                         ":5: app step \"jump 3\": unknown step 'jump' (listen, accept, connect, send, read, shutdown, "
                         "close, abort, wait, crash, reboot, vanish, silent, flood)\n");
    std::filesystem::remove(file);
}

TEST(SimCli, explore_runs_every_schedule_of_three_losses_of_the_four_way_close_and_finds_no_violation) {
    const auto r = run(teardown_binary() + " sim explore --max-losses 3 --reorder " + k_scenarios + "four-way-close-by-client.toml");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    const std::regex line{R"(four_way_close_by_client: (\d+) schedules of up to 3 lost or held-back segments explored in the closing phase, 0 violations)"};
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, line)) << r.out;
    EXPECT_GT(std::stoul(m[1].str()), 100u);
}

TEST(SimCli, explore_shows_the_ladder_of_the_first_violation) {
    const auto r = run(teardown_binary() + " sim explore --max-losses 1 " + k_scenarios + "fin-wait-2-timeout-of-an-orphan.toml");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("first violation, schedule nothing lost:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("server ended in close_wait, not closed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("client FIN_WAIT_2->CLOSED (timer_fin_wait_2)"), std::string::npos) << r.out;
}

// The HTML page in a real browser: Chromium loads it, its script reads the
// diagram as drawn (arrows, lost ones, resets, state changes) and writes
// what it found into the page, which --dump-dom gives back.
TEST(SimCli, headless_chromium_renders_the_html_ladder_and_reads_it_back) {
    const auto html = temp("ladder.html");
    const std::string file = k_scenarios + "lost-last-ack.toml";
    const auto r = run(teardown_binary() + " sim run -q --html " + html.string() + " " + file);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto dom = run("chromium --headless --no-sandbox --disable-gpu --dump-dom file://" + html.string());
    ASSERT_EQ(dom.status, 0) << "chromium failed (scripts/deps.sh installs it): " << dom.err;
    EXPECT_NE(dom.out.find("data-rendered=\"yes\""), std::string::npos) << "the page's script did not run";
    // What the browser counted must be what the run holds.
    auto sc = sim::load_scenario(file);
    ASSERT_TRUE(sc.ok());
    const sim::Run run_ = sim::simulate(*sc);
    std::size_t lost = 0, changes = 0;
    for (const auto& t : run_.transmissions) lost += t.fate != sim::Transmission::Fate::delivered;
    for (const auto& e : run_.trace) changes += e.kind == sim::TraceEntry::Kind::change;
    const std::string counts = std::to_string(run_.transmissions.size()) + " segments, " + std::to_string(lost) +
                               " lost, 0 resets, " + std::to_string(changes) + " state changes; drawn ";
    EXPECT_NE(dom.out.find(counts), std::string::npos) << counts << "\n" << dom.out.substr(0, 2000);
    // The table the script built has a row for every row of the diagram.
    std::size_t rows = 0;
    for (std::size_t at = 0; (at = dom.out.find("<tr><td>", at)) != std::string::npos; ++at) ++rows;
    EXPECT_GT(rows, run_.transmissions.size());
    std::filesystem::remove(html);
}
