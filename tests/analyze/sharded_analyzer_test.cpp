// The analyzer sharded over worker threads must say exactly what one
// Analyzer says: the same records, numbered the same, for every shard count.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "analyze/sharded_analyzer.hpp"
#include "capture/capture_reader.hpp"
#include "capture/pcap_writer.hpp"
#include "sim/conversation_pcap.hpp"
#include "sim/seed_situations.hpp"

using namespace teardown;
using namespace teardown::analyze;

namespace {

// The seed's situations forty times over, 300 s apart on the same ports (so
// every later round reuses the 4-tuples), as one capture in memory.
std::vector<std::byte> capture_bytes() {
    std::vector<sim::SeedSituation> all;
    for (int round = 0; round < 40; ++round)
        for (auto& s : sim::seed_situations(sim::AddressFamily::v4, Instant::from_seconds(1'000 + round * 300))) all.push_back(std::move(s));
    std::vector<const sim::Conversation*> convs;
    for (const auto& s : all) convs.push_back(&s.conversation);
    const std::string path = ::testing::TempDir() + "sharded.pcap";
    EXPECT_TRUE(sim::write_pcap(convs, path).ok());
    std::ifstream in(path, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), {});
    std::vector<std::byte> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
}

std::vector<ConnectionRecord> run(const std::vector<std::byte>& bytes, unsigned shards) {
    std::vector<ConnectionRecord> out;
    auto reader = capture::CaptureReader::from_memory(bytes, "mem");
    EXPECT_TRUE(reader.ok());
    capture::Frame frame;
    wire::DecodedPacket p;
    const auto sink = [&](ConnectionRecord&& r) { out.push_back(std::move(r)); };
    if (shards == 0) {
        Analyzer a{{}, sink};
        while (*reader->next(frame)) {
            if (wire::decode_into(frame.link, frame.data, frame.orig_len, p)) a.on_malformed();
            else a.on_frame(frame.ts, p, frame.orig_len);
        }
        a.finish();
        std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    } else {
        ShardedAnalyzer a{{}, shards, sink};
        while (*reader->next(frame)) {
            if (wire::decode_into(frame.link, frame.data, frame.orig_len, p)) a.on_malformed();
            else a.on_frame(frame.ts, p, frame.orig_len);
        }
        a.finish();
        EXPECT_EQ(a.counts().connections, out.size());
        std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
        if (shards > 1) {
            // Numbered by first packet: in that order, 1, 2, 3 ... is one analyzer's numbering.
            std::uint64_t id = 1;
            for (auto& r : out) r.id = id++;
        }
    }
    return out;
}

} // namespace

TEST(ShardedAnalyzer, says_what_one_analyzer_says_for_any_number_of_shards) {
    const auto bytes = capture_bytes();
    const auto one = run(bytes, 0);
    ASSERT_GT(one.size(), 100u);
    // Workers: one keeps one analyzer's order and numbers; more number by first packet.
    for (unsigned shards : {1u, 2u, 3u, 8u}) {
        SCOPED_TRACE(shards);
        const auto many = run(bytes, shards);
        ASSERT_EQ(many.size(), one.size());
        for (std::size_t i = 0; i < one.size(); ++i) {
            EXPECT_EQ(many[i].id, one[i].id);
            EXPECT_EQ(many[i].client, one[i].client);
            EXPECT_EQ(many[i].ending, one[i].ending);
            EXPECT_EQ(many[i].closer, one[i].closer);
            EXPECT_EQ(many[i].pattern, one[i].pattern);
            EXPECT_EQ(many[i].anomalies, one[i].anomalies);
            EXPECT_EQ(many[i].zeek_history, one[i].zeek_history);
            EXPECT_EQ(many[i].from_client.packets, one[i].from_client.packets);
        }
    }
}
