// Shards of the analyzer, each reading the whole capture, merged by
// RecordMerge: the records one Analyzer gives, in its order, with its
// numbers, for any number of shards; and the parts on their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "analyze/analyzer_shard.hpp"
#include "analyze/record_merge.hpp"
#include "capture/capture_reader.hpp"
#include "capture/pcap_writer.hpp"
#include "support/seed_frames.hpp"

using namespace teardown;
using namespace teardown::analyze;

namespace {

// The seed's frames (tests/support/seed_frames.hpp) as one capture in memory.
std::vector<std::byte> capture_bytes() {
    const auto frames = test::seed_frames();
    // Each test its own file: ctest runs them side by side.
    const std::string path = ::testing::TempDir() + "shards-" + std::to_string(::getpid()) + ".pcap";
    {
        auto writer = capture::PcapWriter::create(path, wire::LinkType::ethernet);
        EXPECT_TRUE(writer.ok());
        for (const auto& f : frames) EXPECT_TRUE(writer->write(f.at, f.frame).ok());
        EXPECT_TRUE(writer->close().ok());
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), {});
    std::filesystem::remove(path);
    std::vector<std::byte> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
}

struct Numbered {
    std::uint64_t id;
    ConnectionRecord record;
};

// One Analyzer: its records in the order it reports them.
std::vector<Numbered> one_analyzer(const std::vector<std::byte>& bytes, AnalyzerCounts& counts) {
    std::vector<Numbered> out;
    Analyzer a{{}, [&](ConnectionRecord&& r) { out.push_back({r.id, std::move(r)}); }};
    auto reader = capture::CaptureReader::from_memory(bytes, "mem");
    EXPECT_TRUE(reader.ok());
    capture::Frame frame;
    wire::DecodedPacket p;
    while (*reader->next(frame)) {
        if (wire::decode_into(frame.link, frame.data, frame.orig_len, p)) a.on_malformed(frame.ts);
        else a.on_frame(frame.ts, p);
    }
    a.finish();
    counts = a.counts();
    return out;
}

// `count` shards stepped frame by frame side by side, as threads would run,
// handing over every `every` frames; the merge writes as it becomes sure.
std::vector<Numbered> shards(const std::vector<std::byte>& bytes, unsigned count, unsigned every, AnalyzerCounts& counts,
                             std::size_t& most_waiting) {
    RecordMerge<ConnectionRecord> merge{count};
    std::vector<Numbered> out;
    std::vector<std::unique_ptr<AnalyzerShard>> all;
    std::vector<std::vector<std::pair<ReportKey, ConnectionRecord>>> handed(count);
    for (unsigned i = 0; i < count; ++i)
        all.push_back(std::make_unique<AnalyzerShard>(AnalyzerLimits{}, i, count, [&, i](ReportKey key, ConnectionRecord&& r) {
            handed[i].emplace_back(key, std::move(r));
        }));
    const auto hand_over = [&](unsigned i) {
        merge.started(i, all[i]->take_starts());
        for (auto& [key, r] : handed[i]) merge.add(i, key, std::move(r));
        handed[i].clear();
        merge.reached(i, all[i]->reached());
        merge.emit_ready([&](std::uint64_t id, const ConnectionRecord& r) { out.push_back({id, r}); });
        most_waiting = std::max(most_waiting, merge.waiting());
    };
    std::vector<capture::CaptureReader> readers;
    for (unsigned i = 0; i < count; ++i) {
        auto reader = capture::CaptureReader::from_memory(bytes, "mem");
        readers.push_back(std::move(*reader));
    }
    capture::Frame frame;
    for (std::uint64_t n = 1;; ++n) {
        bool any = false;
        for (unsigned i = 0; i < count; ++i) {
            if (!*readers[i].next(frame)) continue;
            any = true;
            all[i]->on_frame(frame.ts, frame.link, frame.data, frame.orig_len);
            if (n % every == 0) hand_over(i);
        }
        if (!any) break;
    }
    for (unsigned i = 0; i < count; ++i) {
        all[i]->finish();
        hand_over(i);
        counts += all[i]->analyzer().counts();
    }
    EXPECT_EQ(merge.waiting(), 0u);
    return out;
}

} // namespace

TEST(AnalyzerShards, say_what_one_analyzer_says_in_its_order_and_numbers) {
    const auto bytes = capture_bytes();
    AnalyzerCounts one_counts;
    const auto one = one_analyzer(bytes, one_counts);
    ASSERT_GT(one.size(), 200u);
    ASSERT_GT(one_counts.not_tcp, 0u);
    ASSERT_GT(one_counts.malformed, 0u);
    for (unsigned count : {1u, 2u, 3u, 5u}) {
        SCOPED_TRACE(count);
        AnalyzerCounts c;
        std::size_t most_waiting = 0;
        const auto many = shards(bytes, count, 64, c, most_waiting);
        ASSERT_EQ(many.size(), one.size());
        for (std::size_t i = 0; i < one.size(); ++i) {
            SCOPED_TRACE(i);
            EXPECT_EQ(many[i].id, one[i].id);
            const auto& a = one[i].record;
            const auto& b = many[i].record;
            EXPECT_EQ(b.client, a.client);
            EXPECT_EQ(b.server, a.server);
            EXPECT_EQ(b.start, a.start);
            EXPECT_EQ(b.end, a.end);
            EXPECT_EQ(b.ending, a.ending);
            EXPECT_EQ(b.closer, a.closer);
            EXPECT_EQ(b.anomalies.to_string(), a.anomalies.to_string());
            EXPECT_EQ(b.from_client.packets, a.from_client.packets);
            EXPECT_EQ(b.from_server.bytes, a.from_server.bytes);
            EXPECT_EQ(b.zeek_history, a.zeek_history);
            EXPECT_EQ(b.zeek_conn_state, a.zeek_conn_state);
        }
        EXPECT_EQ(c.packets, one_counts.packets);
        EXPECT_EQ(c.tcp_packets, one_counts.tcp_packets);
        EXPECT_EQ(c.not_tcp, one_counts.not_tcp);
        EXPECT_EQ(c.malformed, one_counts.malformed);
        EXPECT_EQ(c.connections, one_counts.connections);
        EXPECT_EQ(c.evicted_idle, one_counts.evicted_idle);
        // Written as they became sure: far fewer held at once than there are.
        if (count > 1) {
            EXPECT_LT(most_waiting, one.size() / 4);
        }
    }
}

// Shard 0 has a record at moment 8; shard 1 has said nothing yet: the record
// waits, since shard 1 might still report one before it.
TEST(RecordMerge, holds_a_record_until_no_shard_can_come_before_it) {
    RecordMerge<std::string> m{2};
    std::vector<std::pair<std::uint64_t, std::string>> out;
    const auto emit = [&](std::uint64_t id, const std::string& s) { out.emplace_back(id, s); };
    m.started(0, std::vector<std::uint64_t>{1});
    m.started(1, std::vector<std::uint64_t>{0, 2});
    m.add(0, {8, 1}, "b");
    m.emit_ready(emit);
    EXPECT_TRUE(out.empty());
    m.reached(1, {6, 0});  // shard 1: nothing before moment 6
    m.emit_ready(emit);
    EXPECT_TRUE(out.empty());
    m.add(1, {7, 0}, "a");
    m.reached(1, {9, 0});
    m.emit_ready(emit);
    // Numbered by how many connections began at or before each one's first packet.
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], (std::pair<std::uint64_t, std::string>{1, "a"}));
    EXPECT_EQ(out[1], (std::pair<std::uint64_t, std::string>{2, "b"}));
    m.add(1, {ReportKey::end().moment, 2}, "c");
    m.emit_ready(emit);
    EXPECT_EQ(out.size(), 2u);  // shard 0 has not ended
    m.reached(0, ReportKey::end());
    m.emit_ready(emit);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[2], (std::pair<std::uint64_t, std::string>{3, "c"}));
    EXPECT_EQ(m.waiting(), 0u);
}

// The shards share the flows fairly however the 4-tuples vary: many
// clients of one server port, one client's ephemeral ports, many servers;
// and a flow is its shard's from either direction.
TEST(AnalyzerShards, share_out_the_flows_evenly_whichever_part_of_the_tuple_varies) {
    const auto v4 = [](std::uint32_t a) {
        return std::array<std::uint8_t, 4>{std::uint8_t(a >> 24), std::uint8_t(a >> 16), std::uint8_t(a >> 8), std::uint8_t(a)};
    };
    struct Spread {
        const char* what;
        std::uint32_t client, server;
        std::uint16_t client_port, server_port;
        bool vary_client, vary_port, vary_server;
    };
    for (const Spread sp : {Spread{"clients of one server port", 0x0A000001, 0xC0000201, 40000, 443, true, false, false},
                            Spread{"one client's ephemeral ports", 0x0A000001, 0xC0000201, 32768, 80, false, true, false},
                            Spread{"many servers", 0x0A000001, 0xC6336400, 50000, 80, false, false, true}}) {
        for (unsigned count : {2u, 3u}) {
            SCOPED_TRACE(std::string{sp.what} + ", " + std::to_string(count) + " shards");
            constexpr unsigned k_flows = 30000;
            std::vector<unsigned> per_shard(count);
            for (unsigned i = 0; i < k_flows; ++i) {
                const auto c = v4(sp.client + (sp.vary_client ? i : 0));
                const auto s = v4(sp.server + (sp.vary_server ? i : 0));
                const auto cp = static_cast<std::uint16_t>(sp.client_port + (sp.vary_port ? i : 0));
                bool from_lo;
                const auto there = FlowKey::of(false, c.data(), cp, s.data(), sp.server_port, from_lo);
                const auto back = FlowKey::of(false, s.data(), sp.server_port, c.data(), cp, from_lo);
                const unsigned owner = AnalyzerShard::owner_of(there.shard_hash(), count);
                ASSERT_EQ(owner, AnalyzerShard::owner_of(back.shard_hash(), count));
                ASSERT_LT(owner, count);
                ++per_shard[owner];
            }
            for (const unsigned n : per_shard) {
                EXPECT_GT(n, k_flows / count * 9 / 10);
                EXPECT_LT(n, k_flows / count * 11 / 10);
            }
        }
    }
}
