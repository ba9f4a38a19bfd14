// `teardown dump` and `teardown demo` as a user runs them: output, errors, exit statuses.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "capture/pcap_writer.hpp"
#include "cli_test_support.hpp"
#include "sim/conversation_pcap.hpp"
#include "sim/bundled_scenarios.hpp"
#include "sim/scenario.hpp"
#include "sim/seed_situations.hpp"

using namespace teardown;
using namespace teardown::cli_test;

namespace {

std::string seed_pcap(const TempDir& dir) {
    const std::string path = dir.file("seed.pcap");
    auto situations = sim::seed_situations();
    std::vector<const sim::Conversation*> all;
    for (const auto& s : situations) all.push_back(&s.conversation);
    auto n = sim::write_pcap(all, path);
    EXPECT_TRUE(n.ok());
    return path;
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& needle) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
}

} // namespace

TEST(Dump, prints_one_tcpdump_style_line_a_packet) {
    TempDir dir;
    const auto path = seed_pcap(dir);
    auto r = run(teardown_binary() + " dump " + path);
    ASSERT_EQ(r.status, 0) << r.err;
    auto out = lines(r.out);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0],
              "22:13:20.001000 IP 192.0.2.1.40001 > 192.0.2.2.80: Flags [S], seq 1000, win 64240, options [mss "
              "1460,nop,wscale 7,nop,nop,sackOK], length 0");
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Dump, closing_keeps_only_fin_rst_and_acks_of_fins_each_named) {
    TempDir dir;
    const auto path = seed_pcap(dir);
    auto r = run(teardown_binary() + " dump --closing " + path);
    ASSERT_EQ(r.status, 0) << r.err;
    auto out = lines(r.out);
    for (const auto& l : out) EXPECT_NE(l.find("  -- "), std::string::npos) << l;
    EXPECT_EQ(count_containing(out, "FIN from client: starts close"), 7u);
    EXPECT_EQ(count_containing(out, "FIN from server: starts close"), 1u);
    EXPECT_EQ(count_containing(out, "(3-way close)"), 1u);
    EXPECT_EQ(count_containing(out, "simultaneous close"), 1u);
    EXPECT_EQ(count_containing(out, "RST from server: connection refused"), 1u);
    EXPECT_EQ(count_containing(out, "RST from server: abortive close"), 2u);
    EXPECT_EQ(count_containing(out, "FIN from client retransmitted"), 3u);
    EXPECT_EQ(count_containing(out, "ACK of FIN again"), 1u);
    EXPECT_EQ(count_containing(out, "Flags [S]"), 0u);
}

TEST(Dump, filter_applies_a_tcpdump_expression) {
    TempDir dir;
    const auto path = seed_pcap(dir);
    auto r = run(teardown_binary() + " dump --filter 'tcp port 40006' " + path);
    ASSERT_EQ(r.status, 0) << r.err;
    auto out = lines(r.out);
    ASSERT_EQ(out.size(), 2u);  // the refused SYN and its RST
    EXPECT_NE(out[1].find("Flags [R.], seq 0"), std::string::npos) << out[1];

    auto bad = run(teardown_binary() + " dump --filter 'tcp prot 80' " + path);
    EXPECT_EQ(bad.status, 1);
    EXPECT_EQ(bad.err.rfind("teardown dump: filter 'tcp prot 80': ", 0), 0u) << bad.err;
}

TEST(Dump, json_lines_carry_the_closing_role) {
    TempDir dir;
    const auto path = seed_pcap(dir);
    auto r = run(teardown_binary() + " dump --json --closing --count 1 " + path);
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("closing"), "fin_starts_close");
    EXPECT_EQ(j.at("closing_from"), "client");
    EXPECT_EQ(j.at("flags"), "F.");
    EXPECT_EQ(j.at("tcp_checksum"), "valid");
}

TEST(Dump, a_file_that_is_not_a_capture_is_one_clear_line_and_status_1) {
    TempDir dir;
    const auto path = dir.file("notes.txt");
    write_bytes(path, {'h', 'e', 'l', 'l', 'o', '\n'});
    auto r = run(teardown_binary() + " dump " + path);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "teardown dump: " + path + ": not a pcap or pcapng file (starts with 68 65 6c 6c)\n");
    EXPECT_TRUE(r.out.empty());

    auto missing = run(teardown_binary() + " dump " + dir.file("missing.pcap"));
    EXPECT_EQ(missing.status, 1);
    EXPECT_NE(missing.err.find("cannot open: No such file or directory"), std::string::npos);
}

TEST(Dump, a_truncated_file_prints_every_whole_packet_then_warns_with_the_offset_and_status_2) {
    TempDir dir;
    const auto path = seed_pcap(dir);
    auto whole = lines(run(teardown_binary() + " dump " + path).out);
    auto bytes = read_bytes(path);
    const std::string cut = dir.file("cut.pcap");
    bytes.resize(bytes.size() - 10);
    write_bytes(cut, bytes);
    auto r = run(teardown_binary() + " dump " + cut);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(lines(r.out).size(), whole.size() - 1);
    EXPECT_NE(r.err.find("teardown dump: warning: " + cut + ": truncated at offset "), std::string::npos) << r.err;
}

TEST(Dump, a_pcapng_block_whose_length_lies_stops_with_its_offset) {
    TempDir dir;
    const std::string path = dir.file("lie.pcapng");
    {
        auto w = capture::PcapngWriter::create(path, {{wire::LinkType::ethernet, "eth0", 9, 262144}});
        ASSERT_TRUE(w.ok());
        ASSERT_TRUE(w->write(0, Instant::from_seconds(1), std::vector<std::byte>(60)).ok());
        ASSERT_TRUE(w->close().ok());
    }
    auto bytes = read_bytes(path);
    // The enhanced packet block follows the 28-byte section header and the 40-byte interface block (name and resolution options).
    const std::size_t epb = 28 + 40;
    bytes[epb + 4] = 0x22;  // its length becomes 34: not a multiple of 4
    write_bytes(path, bytes);
    auto r = run(teardown_binary() + " dump " + path);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "teardown dump: " + path + ": pcapng block at offset " + std::to_string(epb) +
                         ": block length 34 is not a multiple of 4\n");
}

TEST(Dump, a_malformed_packet_is_shown_and_counted_but_does_not_stop_the_dump) {
    TempDir dir;
    const std::string path = dir.file("malformed.pcap");
    {
        auto w = capture::PcapWriter::create(path, wire::LinkType::raw);
        ASSERT_TRUE(w.ok());
        std::vector<std::byte> bad_ihl(40, std::byte{0});
        bad_ihl[0] = std::byte{0x43};  // IPv4 with a 12-byte header
        ASSERT_TRUE(w->write(Instant::from_seconds(1), bad_ihl).ok());
        ASSERT_TRUE(w->close().ok());
    }
    auto r = run(teardown_binary() + " dump " + path);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("[malformed: ipv4: header length field 3 is below 5 (offset 24)]"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("1 of 1 packets could not be decoded"), std::string::npos) << r.err;
}

TEST(Demo, runs_every_bundled_scenario_and_identifies_the_closes_from_the_capture) {
    TempDir dir;
    const auto pcap = dir.file("demo.pcap");
    auto r = run(teardown_binary() + " demo --pcap " + pcap);
    ASSERT_EQ(r.status, 0) << r.err;
    std::size_t verdicts = 0;
    for (std::size_t at = 0; (at = r.out.find("\nverdict: ", at)) != std::string::npos; ++at) ++verdicts;
    EXPECT_EQ(verdicts, sim::bundled_scenarios().size());
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos);
    for (const auto& b : sim::bundled_scenarios()) {
        auto sc = sim::parse_scenario(b.text, std::string{b.stem});
        ASSERT_TRUE(sc.ok());
        EXPECT_NE(r.out.find("== " + sc->name), std::string::npos) << sc->name;
    }
    // The seed's order: the 4-way close comes first, TIME_WAIT's duties last.
    EXPECT_LT(r.out.find("== four_way_close_by_client"), r.out.find("== lost_last_ack"));
    EXPECT_NE(r.out.find("|-- F. "), std::string::npos);
    EXPECT_NE(r.out.find("X     |  lost"), std::string::npos);
    EXPECT_NE(r.out.find("the closing packets, identified from the capture"), std::string::npos);
    EXPECT_NE(r.out.find("-- FIN+ACK from server: ACKs the client's FIN and closes (3-way close)"), std::string::npos);
    EXPECT_FALSE(r.out.find("\x1b[") != std::string::npos) << "no colour when stdout is not a terminal";
    auto dump = run(teardown_binary() + " dump " + pcap);
    EXPECT_EQ(dump.status, 0);
}
