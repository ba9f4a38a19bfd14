// Differential test against real tshark: for captures of every link type,
// IP version and option kind we decode, `teardown dump --json` and
// `tshark -T fields` must agree on every packet's addresses, ports, flags,
// sequence and acknowledgment numbers, window, payload length and checksum
// validity.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "capture/pcap_writer.hpp"
#include "cli_test_support.hpp"
#include "sim/seed_situations.hpp"
#include "wire/frame_builder.hpp"

using namespace teardown;
using namespace teardown::cli_test;

namespace {

struct Built {
    wire::FrameSpec spec;
    std::vector<std::byte> payload;
};

// A handful of segments that exercise every option and flag we parse.
std::vector<Built> option_zoo(bool v6) {
    std::vector<Built> out;
    auto base = [&](std::uint8_t flags) {
        Built b;
        b.spec.src = *wire::IpAddress::parse(v6 ? "2001:db8::10" : "198.51.100.10");
        b.spec.dst = *wire::IpAddress::parse(v6 ? "2001:db8::20" : "198.51.100.20");
        b.spec.tcp.src_port = 33000;
        b.spec.tcp.dst_port = 443;
        b.spec.tcp.seq = SeqNum{0xFFFFFF00u};
        b.spec.tcp.ack = SeqNum{77};
        b.spec.tcp.flags = wire::TcpFlags{flags};
        b.spec.tcp.window = 29200;
        return b;
    };
    auto syn = base(wire::TcpFlags::syn);
    syn.spec.tcp.options.mss = 1440;
    syn.spec.tcp.options.sack_permitted = true;
    syn.spec.tcp.options.timestamps = wire::Timestamps{4000000000u, 0};
    syn.spec.tcp.options.window_scale = 14;
    syn.spec.layout = wire::OptionLayout::linux;
    out.push_back(syn);
    auto synack = base(wire::TcpFlags::syn | wire::TcpFlags::ack | wire::TcpFlags::ece);
    synack.spec.tcp.options = syn.spec.tcp.options;
    synack.spec.layout = wire::OptionLayout::rfc;
    out.push_back(synack);
    auto data = base(wire::TcpFlags::psh | wire::TcpFlags::ack);
    data.spec.tcp.options.timestamps = wire::Timestamps{1, 2};
    data.spec.tcp.options.sack_blocks = {{SeqNum{100}, SeqNum{200}}, {SeqNum{300}, SeqNum{400}}};
    data.payload.assign(120, std::byte{'d'});
    out.push_back(data);
    auto unknown = base(wire::TcpFlags::ack | wire::TcpFlags::urg);
    unknown.spec.tcp.urgent = 5;
    unknown.spec.tcp.options.unknown = {{30, {1, 2, 3, 4}}, {253, {0xAA, 0xBB}}};
    unknown.payload.assign(9, std::byte{'u'});
    out.push_back(unknown);
    auto bad = base(wire::TcpFlags::fin | wire::TcpFlags::ack);
    bad.spec.corrupt_tcp_checksum = true;
    out.push_back(bad);
    auto rst = base(wire::TcpFlags::rst);
    out.push_back(rst);
    auto cwr = base(wire::TcpFlags::ack | wire::TcpFlags::cwr);
    cwr.payload.assign(1, std::byte{'c'});
    out.push_back(cwr);
    return out;
}

std::vector<Built> seed_frames(bool v6) {
    std::vector<Built> out;
    for (const auto& s : sim::seed_situations(v6 ? sim::AddressFamily::v6 : sim::AddressFamily::v4)) {
        for (const auto& seg : s.conversation.segments()) {
            Built b;
            b.spec.src = seg.src;
            b.spec.dst = seg.dst;
            b.spec.tcp = seg.tcp;
            b.payload = seg.payload;
            out.push_back(std::move(b));
        }
    }
    return out;
}

struct CaptureCase {
    std::string name;
    wire::LinkType link{wire::LinkType::ethernet};
    std::vector<std::uint16_t> vlans;
    bool v6{false};
    std::vector<wire::Ipv6Extension> ipv6_ext;
    std::vector<std::byte> ipv4_options;
    std::uint32_t snaplen{262144};
};

CaptureCase capture_case(std::string name, wire::LinkType link = wire::LinkType::ethernet,
                         std::vector<std::uint16_t> vlans = {}, bool v6 = false,
                         std::vector<wire::Ipv6Extension> ext = {}, std::vector<std::byte> ipv4_options = {},
                         std::uint32_t snaplen = 262144) {
    return CaptureCase{std::move(name), link, std::move(vlans), v6, std::move(ext), std::move(ipv4_options), snaplen};
}

std::vector<std::vector<std::byte>> frames_for(const CaptureCase& c) {
    std::vector<std::vector<std::byte>> out;
    auto built = seed_frames(c.v6);
    auto zoo = option_zoo(c.v6);
    built.insert(built.end(), zoo.begin(), zoo.end());
    for (auto& b : built) {
        b.spec.link = c.link;
        b.spec.vlans = c.vlans;
        b.spec.ipv6_extensions = c.ipv6_ext;
        b.spec.ipv4_options = c.ipv4_options;
        b.spec.payload = b.payload;
        std::vector<std::byte> frame;
        EXPECT_TRUE(wire::build_frame(b.spec, frame).ok());
        out.push_back(std::move(frame));
    }
    return out;
}

// One packet as both tools see it.
struct Fields {
    std::string src, dst, sport, dport, flags, seq, ack, win, len, checksum;
    bool operator==(const Fields&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Fields& f) {
    return os << f.src << " " << f.sport << " > " << f.dst << " " << f.dport << " flags " << f.flags << " seq " << f.seq
              << " ack " << f.ack << " win " << f.win << " len " << f.len << " cksum " << f.checksum;
}

std::vector<Fields> from_teardown(const std::string& path) {
    auto r = run(teardown_binary() + " dump --json " + path);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<Fields> out;
    for (const auto& line : lines(r.out)) {
        auto j = nlohmann::json::parse(line);
        Fields f;
        f.src = j.at("src");
        f.dst = j.at("dst");
        f.sport = std::to_string(j.at("sport").get<int>());
        f.dport = std::to_string(j.at("dport").get<int>());
        const int bits = j.at("flag_bits");
        f.flags = std::to_string(bits);
        f.seq = std::to_string(j.at("seq").get<std::uint32_t>());
        f.ack = (bits & 0x10) ? std::to_string(j.at("ack").get<std::uint32_t>()) : "-";
        f.win = std::to_string(j.at("win").get<int>());
        f.len = std::to_string(j.at("len").get<int>());
        f.checksum = j.at("tcp_checksum");
        out.push_back(f);
    }
    return out;
}

std::vector<Fields> from_tshark(const std::string& path) {
    const std::string cmd =
        "tshark -n -r " + path +
        " -o tcp.check_checksum:TRUE -o tcp.analyze_sequence_numbers:FALSE -T fields -E separator=/t -E occurrence=f"
        " -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw"
        " -e tcp.ack_raw -e tcp.window_size_value -e tcp.len -e tcp.checksum.status";
    auto r = run(cmd);
    EXPECT_EQ(r.status, 0) << "tshark failed (is it installed? scripts/deps.sh installs it): " << r.err;
    std::vector<Fields> out;
    for (const auto& line : lines(r.out)) {
        std::vector<std::string> col;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, '\t')) col.push_back(cell);
        col.resize(12);
        if (col[6].empty()) {
            ADD_FAILURE() << "tshark found no TCP header in: " << line;
            continue;
        }
        Fields f;
        f.src = col[0].empty() ? col[1] : col[0];
        f.dst = col[2].empty() ? col[3] : col[2];
        f.sport = col[4];
        f.dport = col[5];
        const int bits = std::stoi(col[6], nullptr, 16) & 0xFF;
        f.flags = std::to_string(bits);
        f.seq = col[7];
        f.ack = (bits & 0x10) ? col[8] : "-";
        f.win = col[9];
        f.len = col[10];
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        f.checksum = col[11] == "1" ? "valid" : col[11] == "0" ? "invalid" : "unknown";
        out.push_back(f);
    }
    return out;
}

void expect_agreement(const std::string& path, std::size_t expected_packets) {
    auto ours = from_teardown(path);
    auto theirs = from_tshark(path);
    ASSERT_EQ(ours.size(), expected_packets);
    ASSERT_EQ(theirs.size(), expected_packets);
    for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], theirs[i]) << "packet " << i + 1;
}

} // namespace

class TsharkAgrees : public ::testing::TestWithParam<CaptureCase> {};

TEST_P(TsharkAgrees, on_every_packet_of_a_pcap) {
    const auto& c = GetParam();
    TempDir dir;
    const std::string path = dir.file(c.name + ".pcap");
    auto frames = frames_for(c);
    auto w = capture::PcapWriter::create(path, c.link, capture::PcapWriter::Resolution::nanosecond, c.snaplen);
    ASSERT_TRUE(w.ok()) << w.error().message;
    Instant t = Instant::from_seconds(1'700'000'000);
    for (const auto& f : frames) ASSERT_TRUE(w->write(t += Duration::millis(1), f).ok());
    ASSERT_TRUE(w->close().ok());
    expect_agreement(path, frames.size());
}

INSTANTIATE_TEST_SUITE_P(
    Dump, TsharkAgrees,
    ::testing::Values(capture_case("ipv4_ethernet"), capture_case("ipv6_ethernet", wire::LinkType::ethernet, {}, true),
                      capture_case("vlan", wire::LinkType::ethernet, {42}),
                      capture_case("qinq_ipv6", wire::LinkType::ethernet, {100, 200}, true),
                      capture_case("sll", wire::LinkType::linux_sll),
                      capture_case("sll2_ipv6", wire::LinkType::linux_sll2, {}, true),
                      capture_case("raw", wire::LinkType::raw),
                      capture_case("null_ipv6", wire::LinkType::null, {}, true),
                      capture_case("ipv6_extension_headers", wire::LinkType::ethernet, {}, true,
                                  {{0, std::vector<std::byte>(6, std::byte{0})}, {60, std::vector<std::byte>(14, std::byte{0})}}),
                      capture_case("ipv4_options", wire::LinkType::ethernet, {}, false, {},
                                  {std::byte{1}, std::byte{1}, std::byte{1}, std::byte{1}}),
                      capture_case("snaplen_96", wire::LinkType::ethernet, {}, false, {}, {}, 96)),
    [](const ::testing::TestParamInfo<CaptureCase>& p) { return p.param.name; });

TEST(TsharkAgrees, on_a_pcapng_with_two_interfaces_of_different_link_types) {
    TempDir dir;
    const std::string path = dir.file("two.pcapng");
    auto w = capture::PcapngWriter::create(path, {{wire::LinkType::ethernet, "eth0", 9, 262144},
                                                  {wire::LinkType::raw, "tun0", 6, 262144}});
    ASSERT_TRUE(w.ok());
    auto eth = frames_for(capture_case("e", wire::LinkType::ethernet));
    auto raw = frames_for(capture_case("r", wire::LinkType::raw, {}, true));
    Instant t = Instant::from_seconds(1'700'000'000);
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::max(eth.size(), raw.size()); ++i) {
        if (i < eth.size()) { ASSERT_TRUE(w->write(0, t += Duration::millis(1), eth[i]).ok()); ++n; }
        if (i < raw.size()) { ASSERT_TRUE(w->write(1, t += Duration::millis(1), raw[i]).ok()); ++n; }
    }
    ASSERT_TRUE(w->write_block(0x0000ABCD, std::vector<std::byte>(8)).ok());  // a type nobody defines: skipped by both
    ASSERT_TRUE(w->close().ok());
    expect_agreement(path, n);
}

namespace {
// gtest prints a parameter by name rather than as bytes.
[[maybe_unused]] void PrintTo(const CaptureCase& c, std::ostream* os) { *os << c.name; }
} // namespace
