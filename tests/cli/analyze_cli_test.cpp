// `teardown analyze` as a user runs it: on the simulator's captures of every
// shipped scenario (each record must say what the scenario declares), side
// by side with real tshark (per connection: FIN and RST counts and
// tcp.completeness), in each output format, and on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "capture/capture_reader.hpp"
#include "capture/capture_test_support.hpp"
#include "cli/cli_test_support.hpp"
#include "sim/scenario.hpp"

using namespace teardown;
using namespace teardown::cli_test;

namespace {

const std::string k_scenarios = std::string{TEARDOWN_SOURCE_DIR} + "/scenarios/";

std::vector<std::string> scenario_files() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(k_scenarios))
        if (e.path().extension() == ".toml") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string temp(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("teardown-analyze-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::string pcap_of(const std::string& scenario) {
    const std::string pcap = temp(std::filesystem::path(scenario).stem().string() + ".pcap");
    const auto r = run(teardown_binary() + " sim run -q --pcap " + pcap + " " + scenario);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return pcap;
}

// The records of connections between the scenario's own hosts (a flood's forged ones left out).
std::vector<nlohmann::json> records(const std::string& pcap, const sim::Scenario& sc) {
    const auto r = run(teardown_binary() + " analyze --format json " + pcap);
    EXPECT_EQ(r.status, 0) << r.err;
    std::set<std::string> hosts;
    for (const auto& h : sc.hosts) hosts.insert(h.address.to_string());
    std::vector<nlohmann::json> out;
    for (const auto& line : lines(r.out)) {
        const auto j = nlohmann::json::parse(line);
        const auto addr = [](const std::string& ep) { return ep.substr(0, ep.rfind(':')); };
        if (hosts.count(addr(j["client"])) && hosts.count(addr(j["server"]))) out.push_back(j);
    }
    return out;
}

// What a capture cannot show: an engine that gives up in silence (the
// orphan's FIN_WAIT_2 timer sends nothing) leaves on the wire a FIN never
// answered by one, which is what half_open means.
const std::map<std::string, std::map<std::string, std::string>> k_wire_view{
    {"fin_wait_2_timeout_of_an_orphan", {{"ending", "half_open"}}},
};

} // namespace

TEST(AnalyzeCli, every_scenarios_capture_is_analyzed_as_the_scenario_declares) {
    for (const auto& file : scenario_files()) {
        auto sc = sim::load_scenario(file);
        ASSERT_TRUE(sc.ok()) << file;
        SCOPED_TRACE(sc->name);
        const std::string pcap = pcap_of(file);
        const auto recs = records(pcap, *sc);
        std::filesystem::remove(pcap);
        ASSERT_FALSE(recs.empty());
        for (const auto& x : sc->expect) {
            if (x.key != "ending" && x.key != "closer" && x.key != "pattern" && x.key != "reset_by" && x.key != "anomalies")
                continue;
            if (x.key == "anomalies") {
                // Every declared anomaly shows on some connection of the run.
                for (const auto& a : x.values) {
                    bool seen = false;
                    for (const auto& r : recs)
                        for (const auto& have : r["anomalies"]) seen = seen || have == a;
                    EXPECT_TRUE(seen) << x.key << " " << a;
                }
                continue;
            }
            ASSERT_TRUE(x.values.size() == 1 || x.values.size() == recs.size()) << x.key;
            for (std::size_t i = 0; i < recs.size(); ++i) {
                std::string want = x.values.size() == 1 ? x.values[0] : x.values[i];
                if (const auto v = k_wire_view.find(sc->name); v != k_wire_view.end() && v->second.count(x.key))
                    want = v->second.at(x.key);
                const auto& got = recs[i][x.key];
                EXPECT_EQ(got.is_null() ? "none" : got.get<std::string>(), want) << x.key << " of connection " << i + 1;
            }
        }
    }
}

// tshark's own reading of the same captures: per TCP stream, the FIN and
// RST packets and tcp.completeness (with -2, the value of the whole stream).
TEST(AnalyzeCli, agrees_with_tshark_on_fins_rsts_and_completeness_per_connection) {
    std::size_t compared = 0;
    for (const auto& file : scenario_files()) {
        SCOPED_TRACE(file);
        const std::string pcap = pcap_of(file);
        const auto t = run("tshark -2 -n -r " + pcap +
                           " -T fields -e tcp.stream -e tcp.flags.fin -e tcp.flags.reset -e tcp.completeness");
        ASSERT_EQ(t.status, 0) << t.err;
        struct Stream {
            unsigned fins{0}, rsts{0}, completeness{0};
        };
        std::map<unsigned, Stream> theirs;
        for (const auto& line : lines(t.out)) {
            std::vector<std::string> f;
            std::size_t start = 0;
            for (std::size_t at; (at = line.find('\t', start)) != std::string::npos; start = at + 1) f.push_back(line.substr(start, at - start));
            f.push_back(line.substr(start));
            if (f.size() < 4 || f[0].empty()) continue;
            auto& s = theirs[static_cast<unsigned>(std::stoul(f[0]))];
            s.fins += f[1] == "1" || f[1] == "True";
            s.rsts += f[2] == "1" || f[2] == "True";
            if (!f[3].empty()) s.completeness = static_cast<unsigned>(std::stoul(f[3]));
        }
        const auto r = run(teardown_binary() + " analyze --format json " + pcap);
        ASSERT_EQ(r.status, 0);
        std::vector<nlohmann::json> ours;
        for (const auto& line : lines(r.out)) ours.push_back(nlohmann::json::parse(line));
        // tshark numbers streams in the order their first packet appears; so do our ids.
        std::sort(ours.begin(), ours.end(), [](const auto& a, const auto& b) { return a["id"] < b["id"]; });
        ASSERT_EQ(ours.size(), theirs.size());
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const auto& o = ours[i];
            const auto& s = theirs.at(static_cast<unsigned>(i));
            EXPECT_EQ(o["from_client"]["fins"].get<unsigned>() + o["from_server"]["fins"].get<unsigned>(), s.fins) << "stream " << i;
            EXPECT_EQ(o["from_client"]["rsts"].get<unsigned>() + o["from_server"]["rsts"].get<unsigned>(), s.rsts) << "stream " << i;
            EXPECT_EQ(o["completeness"].get<unsigned>(), s.completeness) << "stream " << i;
            ++compared;
        }
        std::filesystem::remove(pcap);
    }
    EXPECT_GT(compared, 100u);  // the flood's forged connections included
}

TEST(AnalyzeCli, writes_a_zeek_conn_log_a_csv_a_table_with_its_summary_and_filters_by_ending) {
    const std::string pcap = pcap_of(k_scenarios + "server-crash-reset.toml");
    const auto z = run(teardown_binary() + " analyze --format zeek " + pcap);
    ASSERT_EQ(z.status, 0) << z.err;
    const auto zl = lines(z.out);
    ASSERT_GE(zl.size(), 10u);
    EXPECT_EQ(zl[0], "#separator \\x09");
    EXPECT_EQ(zl[4], "#path\tconn");
    EXPECT_EQ(zl[6].substr(0, 15), "#fields\tts\tuid\t");
    const std::string row = zl[8];
    EXPECT_EQ(std::count(row.begin(), row.end(), '\t'), 20) << row;  // 21 fields, as conn.log has
    EXPECT_NE(row.find("\tRSTR\t"), std::string::npos) << row;
    EXPECT_EQ(zl.back().substr(0, 7), "#close\t");

    const auto c = run(teardown_binary() + " analyze --format csv " + pcap);
    ASSERT_EQ(c.status, 0);
    const auto cl = lines(c.out);
    ASSERT_EQ(cl.size(), 2u);
    EXPECT_EQ(cl[0].substr(0, 20), "id,uid,client,server");
    EXPECT_NE(cl[1].find(",reset,server,"), std::string::npos) << cl[1];

    const auto t = run(teardown_binary() + " analyze " + pcap);
    EXPECT_NE(t.out.find("1 connections"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("endings    reset 1"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("resets sent by 192.0.2.2 1"), std::string::npos) << t.out;

    const auto none = run(teardown_binary() + " analyze --format json --only graceful " + pcap);
    EXPECT_EQ(none.status, 0);
    EXPECT_EQ(none.out, "");
    const auto bad = run(teardown_binary() + " analyze --only gracefully " + pcap);
    EXPECT_EQ(bad.status, 2);
    EXPECT_EQ(bad.err, "teardown analyze: --only gracefully is neither an ending nor an anomaly (VOCABULARY.md)\n");
    std::filesystem::remove(pcap);
}

TEST(AnalyzeCli, draws_the_ladder_of_one_connection) {
    const std::string pcap = pcap_of(k_scenarios + "lost-last-ack.toml");
    const auto r = run(teardown_binary() + " analyze --ladder 1 " + pcap);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("client 192.0.2.1:"), std::string::npos);
    EXPECT_NE(r.out.find("FIN from server retransmitted: no ACK yet"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ACK of FIN again"), std::string::npos) << r.out;
    // The states both ends are inferred to pass through, beside the arrows
    // that show them: the server's CLOSE_WAIT where it acknowledges the FIN.
    EXPECT_NE(r.out.find("FIN from client: starts close; client ESTABLISHED->FIN_WAIT_1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("server ESTABLISHED->CLOSE_WAIT; client FIN_WAIT_1->FIN_WAIT_2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("client FIN_WAIT_2->TIME_WAIT"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("server LAST_ACK->CLOSED"), std::string::npos) << r.out;
    // The retransmitted FIN shows that last ACK never arrived: the server was still in LAST_ACK.
    EXPECT_NE(r.out.find("FIN from server retransmitted: no ACK yet; server CLOSED->LAST_ACK"), std::string::npos) << r.out;
    const auto missing = run(teardown_binary() + " analyze --ladder 7 " + pcap);
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.err, "teardown analyze: no connection 7 in the capture\n");
    std::filesystem::remove(pcap);
}

TEST(AnalyzeCli, a_capture_cut_short_is_analyzed_as_far_as_it_goes_and_says_where_it_ends) {
    const std::string pcap = pcap_of(k_scenarios + "four-way-close-by-client.toml");
    const auto size = std::filesystem::file_size(pcap);
    std::filesystem::resize_file(pcap, size - 30);
    const auto r = run(teardown_binary() + " analyze --format json " + pcap);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lines(r.out).size(), 1u);
    EXPECT_NE(r.err.find(pcap), std::string::npos) << r.err;
    // With threads: the same, said once.
    const auto threaded = run(teardown_binary() + " analyze --format json --threads 2 " + pcap);
    EXPECT_EQ(threaded.status, r.status);
    EXPECT_EQ(threaded.out, r.out);
    EXPECT_EQ(threaded.err, r.err);
    std::filesystem::remove(pcap);
    const auto missing = run(teardown_binary() + " analyze /nonexistent.pcap");
    EXPECT_NE(missing.status, 0);
}

// --threads N: N shards, each reading the capture; their records merged
// into one thread's order and numbers: the same output, byte for byte.
TEST(AnalyzeCli, threads_give_the_records_one_gives) {
    const std::string pcap = temp("demo.pcap");
    ASSERT_EQ(run(teardown_binary() + " demo --pcap " + pcap).status, 0);
    for (const char* format : {"json", "csv", "zeek", "table"}) {
        SCOPED_TRACE(format);
        const auto one = run(teardown_binary() + " analyze --format " + format + " " + pcap);
        ASSERT_EQ(one.status, 0);
        ASSERT_GT(lines(one.out).size(), 1000u);  // the flood's too
        for (const char* threads : {"2", "3"}) {
            const auto many = run(teardown_binary() + " analyze --format " + format + " --threads " + threads + " " + pcap);
            ASSERT_EQ(many.status, 0) << many.err;
            EXPECT_EQ(many.out, one.out) << threads;  // numbered at the merge, uids, summary and all
        }
    }
    // --only and --filter go through every shard alike.
    const std::string only = " analyze --format csv --only refused --filter 'tcp port 80' ";
    const auto one = run(teardown_binary() + only + pcap);
    const auto two = run(teardown_binary() + only + "--threads 2 " + pcap);
    ASSERT_EQ(one.status, 0) << one.err;
    EXPECT_EQ(two.out, one.out);
    EXPECT_EQ(two.err, one.err);
    // --stats: the flow table's size, on stderr.
    const auto stats = run(teardown_binary() + " analyze --format csv --stats " + pcap);
    EXPECT_NE(stats.err.find(" connections; at most "), std::string::npos) << stats.err;
    EXPECT_NE(stats.err.find(" bytes a tracked connection)"), std::string::npos) << stats.err;
    const auto live = run(teardown_binary() + " analyze -i lo --threads 2");
    EXPECT_EQ(live.status, 2);
    EXPECT_EQ(live.err, "teardown analyze: --threads is for capture files, not a live interface\n");
    std::filesystem::remove(pcap);
}

// Where two outputs of many lines part: the first line that differs in each.
std::string first_difference(const std::string& a, const std::string& b) {
    const auto la = lines(a), lb = lines(b);
    for (std::size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
        const std::string x = i < la.size() ? la[i] : "(none)", y = i < lb.size() ? lb[i] : "(none)";
        if (x != y) return "line " + std::to_string(i + 1) + ":\n  " + x + "\n  " + y;
    }
    return "no difference";
}

// The demo's capture as pcapng, its frames by turns on an Ethernet
// interface and a raw IP one (LINKTYPE_RAW, the Ethernet header taken off),
// so that a filter compiles differently for each. With `slow`, an unknown
// block follows each packet block, so that every frame goes the reader's
// long way (CaptureReader::next) rather than its quick one (feed_records).
void write_two_interface_pcapng(const std::string& pcap, const std::string& out, bool slow) {
    auto reader = capture::CaptureReader::open(pcap);
    ASSERT_TRUE(reader) << reader.error().message;
    ASSERT_EQ(reader->link_type(), 1u);
    capture::test::Ng ng(false);
    ng.shb().idb(1, 9).idb(101, 9);  // nanoseconds, as the demo writes
    capture::Frame f;
    for (unsigned i = 0; *reader->next(f); ++i) {
        const auto from = f.data.begin() + (i % 2 == 1 ? 14 : 0);
        ng.epb(i % 2, static_cast<std::uint64_t>(f.ts.nanos()), {from, f.data.end()});
        if (slow) ng.block(0x0BAD, {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}});
    }
    std::ofstream{out, std::ios::binary}.write(reinterpret_cast<const char*>(ng.b.b.data()), static_cast<std::streamsize>(ng.b.b.size()));
}

// --filter takes the reader's quick way too, each frame matched by its own
// interface's filter: the same frames pass as frame by frame, so the same
// records come, and as from the pcap the capture was made from.
TEST(AnalyzeCli, a_filter_keeps_the_same_frames_the_quick_way_as_frame_by_frame_on_each_interface) {
    const std::string pcap = temp("filtered.pcap");
    const std::string quick = temp("filtered-quick.pcapng");
    const std::string slow = temp("filtered-slow.pcapng");
    ASSERT_EQ(run(teardown_binary() + " demo --pcap " + pcap).status, 0);
    write_two_interface_pcapng(pcap, quick, false);
    write_two_interface_pcapng(pcap, slow, true);
    for (const char* filter : {"tcp port 80", "tcp[13] & 4 != 0", "src host 192.0.2.1", "not tcp port 80", "udp"}) {
        SCOPED_TRACE(filter);
        const std::string args = std::string{" analyze --format csv --summary --filter '"} + filter + "' ";
        const auto from_pcap = run(teardown_binary() + args + pcap);
        const auto quickly = run(teardown_binary() + args + quick);
        const auto slowly = run(teardown_binary() + args + slow);
        ASSERT_EQ(quickly.status, 0) << quickly.err;
        EXPECT_TRUE(quickly.out == slowly.out) << first_difference(quickly.out, slowly.out);
        EXPECT_EQ(quickly.err, slowly.err);
        EXPECT_TRUE(quickly.out == from_pcap.out) << first_difference(quickly.out, from_pcap.out);
        for (const char* threads : {" --threads 2 ", " --threads 3 "})
            EXPECT_TRUE(run(teardown_binary() + args + threads + quick).out == quickly.out) << threads;
    }
    const auto all = run(teardown_binary() + " analyze --format csv " + quick);
    const auto some = run(teardown_binary() + " analyze --format csv --filter 'src host 192.0.2.1' " + quick);
    EXPECT_TRUE(all.out == run(teardown_binary() + " analyze --format csv " + pcap).out);
    EXPECT_LT(lines(some.out).size(), lines(all.out).size());  // it does keep fewer
    EXPECT_GT(lines(some.out).size(), 1u);
    for (const auto& f : {pcap, quick, slow}) std::filesystem::remove(f);
}

// `tcpdump -w - | teardown analyze -`: a capture from stdin, plain or
// gzip, read as it comes; what needs the capture twice or each thread its
// own reading says why it cannot, or what it does instead.
TEST(AnalyzeCli, reads_a_capture_piped_to_stdin_plain_or_gzip) {
    const std::string pcap = temp("piped.pcap");
    ASSERT_EQ(run(teardown_binary() + " demo --pcap " + pcap).status, 0);
    const auto file = run(teardown_binary() + " analyze --format csv " + pcap);
    ASSERT_EQ(file.status, 0) << file.err;
    ASSERT_GT(lines(file.out).size(), 1000u);
    const auto piped = run("cat " + pcap + " | " + teardown_binary() + " analyze --format csv -");
    EXPECT_EQ(piped.status, 0) << piped.err;
    EXPECT_EQ(piped.out, file.out);
    EXPECT_EQ(piped.err, "");
    const auto zipped = run("gzip -1 -c " + pcap + " | " + teardown_binary() + " analyze --format csv -");
    EXPECT_EQ(zipped.status, 0) << zipped.err;
    EXPECT_EQ(zipped.out, file.out);
    // With threads, a stream is read by one thread for all the shards: a
    // gzip file inflated once, a pipe read once; mixed with a mapped file.
    ASSERT_EQ(run("gzip -1 -c " + pcap + " > " + pcap + ".gz").status, 0);
    for (const char* threads : {"2", "3"}) {
        SCOPED_TRACE(threads);
        const std::string with = " analyze --format csv --threads " + std::string{threads} + " ";
        const auto threads_gz = run(teardown_binary() + with + pcap + ".gz");
        EXPECT_EQ(threads_gz.status, 0) << threads_gz.err;
        EXPECT_EQ(threads_gz.out, file.out);
        const auto threads_pipe = run("cat " + pcap + " | " + teardown_binary() + with + "-");
        EXPECT_EQ(threads_pipe.status, 0);
        EXPECT_EQ(threads_pipe.out, file.out);
        EXPECT_EQ(threads_pipe.err, "");
        const auto two = run(teardown_binary() + " analyze --format csv " + pcap + " " + pcap);
        const auto mixed = run("cat " + pcap + " | " + teardown_binary() + with + pcap + " - " + pcap + ".gz");
        const auto three = run(teardown_binary() + " analyze --format csv " + pcap + " " + pcap + " " + pcap);
        EXPECT_EQ(mixed.status, 0) << mixed.err;
        EXPECT_EQ(mixed.out, three.out);
        EXPECT_NE(three.out, two.out);
    }
    // A filter that does not compile, on a stream with threads: said once, status 2, no hang.
    const auto bad = run("cat " + pcap + " | " + teardown_binary() + " analyze --threads 2 --filter 'tcp port' " + pcap + " -");
    EXPECT_EQ(bad.status, 2);
    EXPECT_EQ(lines(bad.err).size(), 1u) << bad.err;
    const auto ladder = run("cat " + pcap + " | " + teardown_binary() + " analyze --ladder 1 -");
    EXPECT_EQ(ladder.status, 2);
    EXPECT_EQ(ladder.out, "");
    EXPECT_EQ(ladder.err, "teardown analyze: --ladder reads the capture twice, and stdin is a stream, read once: save it to a file\n");
    const auto twice = run("cat " + pcap + " | " + teardown_binary() + " analyze - -");
    EXPECT_EQ(twice.status, 2);
    EXPECT_EQ(twice.err, "teardown analyze: - (stdin) is named more than once; it can be read once\n");
    // What is no capture, from a pipe, is said as from a file, named stdin.
    const auto junk = run("echo hello | " + teardown_binary() + " analyze -");
    EXPECT_EQ(junk.status, 1);
    EXPECT_EQ(junk.err, "teardown analyze: stdin: not a pcap or pcapng file (starts with 68 65 6c 6c)\n");
    const auto cut = run("head -c 100000 " + pcap + " | " + teardown_binary() + " analyze --format csv -");
    EXPECT_EQ(cut.status, 0);
    EXPECT_NE(cut.err.find("teardown analyze: stdin: truncated at offset "), std::string::npos) << cut.err;
    // On a terminal (script(1) makes one) a stream of unknown length shows its count of packets.
    const auto stats = run(teardown_binary() + " analyze --format csv --stats " + pcap + " >/dev/null");
    const std::string packets = stats.err.substr(stats.err.find(": ") + 2, stats.err.find(" packets") - stats.err.find(": ") - 2);
    ASSERT_GT(std::stoull(packets), 1000u) << stats.err;
    const auto shown = run("script -qec \"cat " + pcap + " | " + teardown_binary() + " analyze --format csv - >/dev/null\" /dev/null");
    EXPECT_EQ(shown.status, 0);
    EXPECT_NE(shown.out.find("\rstdin: " + packets + " packets\r\n"), std::string::npos) << shown.out;
    // A terminal on stdin (nothing piped in) is said at once, not waited on.
    const auto keyboard = run("script -qec \"" + teardown_binary() + " analyze -\" /dev/null");
    EXPECT_NE(keyboard.out.find("teardown analyze: stdin is a terminal, not a capture: pipe one in"), std::string::npos)
        << keyboard.out;
    // dump reads stdin too.
    const auto dump = run("cat " + pcap + " | " + teardown_binary() + " dump --count 3 -");
    EXPECT_EQ(dump.status, 0) << dump.err;
    EXPECT_EQ(lines(dump.out).size(), 3u) << dump.out;
    std::filesystem::remove(pcap);
    std::filesystem::remove(pcap + ".gz");
}

// Ctrl-C on `tcpdump -w - | teardown analyze -`: the writer is still
// there, the pipe open, and analyze waiting on it; the signal ends the
// stream where it is and the records of what came are written.
TEST(AnalyzeCli, ctrl_c_on_a_pipe_still_open_writes_the_records_of_what_came) {
    const std::string pcap = temp("ctrl-c.pcap");
    ASSERT_EQ(run(teardown_binary() + " demo --pcap " + pcap).status, 0);
    const auto file = run(teardown_binary() + " analyze --format csv " + pcap);
    ASSERT_EQ(file.status, 0);
    const std::string out = temp("ctrl-c.csv");
    // One thread reads the pipe itself; with two, another thread does, and the signal lands elsewhere.
    for (const char* threads : {"1", "2"}) {
        SCOPED_TRACE(threads);
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::dup2(fds[0], STDIN_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(o, STDOUT_FILENO);
            const std::string bin = teardown_binary();
            ::execl(bin.c_str(), bin.c_str(), "analyze", "--format", "csv", "--threads", threads, "-", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[0]);
        {
            std::ifstream in(pcap, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
        }
        // Once the pipe is drained, analyze waits on it for more (the write end stays open).
        for (int waited = 0;; ++waited) {
            int unread = 0;
            ASSERT_EQ(::ioctl(fds[1], FIONREAD, &unread), 0);
            if (unread == 0) break;
            ASSERT_LT(waited, 3000) << "analyze read nothing for 30 s";
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        // Long enough for analyze to be waiting on the pipe when the signal comes.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ASSERT_EQ(::kill(child, SIGINT), 0);
        int status = 0;
        pid_t ended = 0;
        for (int waited = 0; ended == 0 && waited < 1000; ++waited) {
            ended = ::waitpid(child, &status, WNOHANG);
            if (ended == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (ended == 0) ::kill(child, SIGKILL), ::waitpid(child, &status, 0);
        ASSERT_EQ(ended, child) << "analyze went on waiting on the pipe for 10 s after Ctrl-C";
        ::close(fds[1]);
        ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        EXPECT_EQ(WEXITSTATUS(status), 0);
        std::ifstream got(out);
        const std::string records((std::istreambuf_iterator<char>(got)), std::istreambuf_iterator<char>());
        EXPECT_EQ(records, file.out);
    }
    std::filesystem::remove(pcap);
    std::filesystem::remove(out);
}

namespace teardown::cli_test {
namespace {

// -i: live from an interface, here the loopback of a namespace the test
// makes, while nc opens and closes a connection on it.
TEST(AnalyzeCliLive, ReportsAConnectionClosedOnALiveInterface) {
    const std::string ns = "tdalive-" + std::to_string(::getpid());
    ASSERT_EQ(run("ip netns add " + ns + " && ip netns exec " + ns + " ip link set lo up").status, 0);
    cli_test::Run r;
    std::thread analyzer{[&] {
        r = run("ip netns exec " + ns + " " + std::string{TEARDOWN_BINARY} + " analyze -i lo --filter 'tcp port 9200' --for 3");
    }};
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto traffic =
        run("ip netns exec " + ns + " sh -c 'nc -l 127.0.0.1 9200 > /dev/null & sleep 0.3; echo hello | nc -N 127.0.0.1 9200; wait'");
    analyzer.join();
    run("ip netns del " + ns);
    EXPECT_EQ(traffic.status, 0) << traffic.err;
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("127.0.0.1:9200"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("graceful"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 connections"), std::string::npos) << r.out;
    // What the kernel dropped is said at the end: nothing here.
    EXPECT_NE(r.err.find("teardown analyze: lo: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" packets read, 0 dropped by the kernel, 0 by the interface\n"), std::string::npos) << r.err;
}

// A quiet interface still moves the clock on: a connection left open and
// silent is reported once it has been idle (--idle 1) at the next sweep,
// about 10 s on, while analyze runs, not only when it stops.
TEST(AnalyzeCliLive, ReportsAConnectionWhenItIsOverThoughNoFrameComesAfter) {
    const std::string ns = "tdaquiet-" + std::to_string(::getpid());
    ASSERT_EQ(run("ip netns add " + ns + " && ip netns exec " + ns + " ip link set lo up").status, 0);
    const std::string out = temp("quiet.csv"), seen = temp("quiet-seen.csv");
    const std::string script = std::string{TEARDOWN_BINARY} + " analyze -i lo --filter 'tcp port 9400' --idle 1 --for 18 --format csv > " +
                               out + " & a=\\$!; sleep 1; nc -l 127.0.0.1 9400 > /dev/null & sleep 0.3; "
                               "(echo hello; sleep 15) | nc -N 127.0.0.1 9400 & sleep 13.5; cp " + out + " " + seen +
                               "; kill -0 \\$a && echo still running; wait";
    const auto r = run("ip netns exec " + ns + " timeout 60 sh -c \"" + script + "\"");
    run("ip netns del " + ns);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "still running\n");
    std::ifstream in(seen);
    const std::string records((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto got = lines(records);
    ASSERT_EQ(got.size(), 2u) << records;
    EXPECT_NE(got[1].find(",127.0.0.1:9400,0,"), std::string::npos) << got[1];
    EXPECT_NE(got[1].find(",open,none,"), std::string::npos) << got[1];
    std::filesystem::remove(out);
    std::filesystem::remove(seen);
}

// A monitor that falls behind loses frames in the kernel, and says so:
// analyze is stopped (SIGSTOP) with a ring of 64 KiB while 20 MB cross
// the namespace's loopback, then let go.
TEST(AnalyzeCliLive, SaysWhatTheKernelDroppedWhenItFellBehind) {
    const std::string ns = "tdadrop-" + std::to_string(::getpid());
    ASSERT_EQ(run("ip netns add " + ns + " && ip netns exec " + ns + " ip link set lo up").status, 0);
    const std::string script = std::string{TEARDOWN_BINARY} +
                               " analyze -i lo --buffer-size 64 --filter 'tcp port 9300' --for 4 --format csv & a=\\$!; sleep 1; "
                               "kill -STOP \\$a || exit 9; nc -l 127.0.0.1 9300 > /dev/null & sleep 0.3; "
                               "head -c 20000000 /dev/zero | nc -N 127.0.0.1 9300; kill -CONT \\$a; wait";
    // The $ escaped from the outer shell; bounded in time should a part hang.
    const auto r = run("ip netns exec " + ns + " timeout 60 sh -c \"" + script + "\"");
    run("ip netns del " + ns);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto at = r.err.find("teardown analyze: lo: ");
    ASSERT_NE(at, std::string::npos) << r.err;
    unsigned long long read = 0, dropped = 0;
    ASSERT_EQ(std::sscanf(r.err.c_str() + at, "teardown analyze: lo: %llu packets read, %llu dropped by the kernel", &read, &dropped), 2) << r.err;
    EXPECT_GT(dropped, 100u) << r.err;
    EXPECT_NE(r.err.find("(its buffer was full: records may show as lost what only the capture missed; a larger --buffer-size may help)"),
              std::string::npos)
        << r.err;
}

} // namespace
} // namespace teardown::cli_test
