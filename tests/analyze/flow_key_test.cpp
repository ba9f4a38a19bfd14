// The flow table's key and the history letters: both directions of a
// connection under one key, and Zeek's history kept whole however long.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "analyze/flow_key.hpp"
#include "analyze/history_letters.hpp"
#include "core/chunked_slab.hpp"

using namespace teardown;
using namespace teardown::analyze;

TEST(FlowKey, both_directions_of_a_connection_are_one_key) {
    for (const char* a : {"192.0.2.1", "2001:db8::1"}) {
        const bool v6 = a[0] == '2';
        const wire::Endpoint x{*wire::IpAddress::parse(a), 40000};
        const wire::Endpoint y{*wire::IpAddress::parse(v6 ? "2001:db8::2" : "192.0.2.200"), 80};
        bool up = false, down = false;
        const FlowKey k1 = FlowKey::of(x, y, up);
        const FlowKey k2 = FlowKey::of(y, x, down);
        EXPECT_TRUE(up);
        EXPECT_FALSE(down);
        EXPECT_EQ(k1.lo, k2.lo);
        EXPECT_EQ(k1.hi, k2.hi);
        EXPECT_EQ(k1.hash(), k2.hash());
        EXPECT_EQ(k1.lo_endpoint(), x);
        EXPECT_EQ(k1.hi_endpoint(), y);
        // The same addresses on other ports are another flow.
        bool ignored = false;
        const FlowKey other = FlowKey::of(wire::Endpoint{x.addr, 40001}, y, ignored);
        EXPECT_NE(other.hash(), k1.hash());
    }
    // Addresses order byte by byte from the first: 9.0.0.10 is the lower endpoint of 10.0.0.9.
    bool from_lo = false;
    const FlowKey k = FlowKey::of(wire::Endpoint{*wire::IpAddress::parse("10.0.0.9"), 1},
                                  wire::Endpoint{*wire::IpAddress::parse("9.0.0.10"), 2}, from_lo);
    EXPECT_FALSE(from_lo);
    EXPECT_EQ(k.lo_endpoint().addr.to_string(), "9.0.0.10");
}

TEST(HistoryLetters, a_long_history_moves_to_the_heap_and_stays_whole) {
    HistoryLetters h;
    EXPECT_TRUE(h.empty());
    const std::string want = "^ShADadTtTtFfRrWwCcQqIi^SsHhAa";
    for (std::size_t i = 0; i < want.size(); ++i) {
        h.push_back(want[i]);
        EXPECT_EQ(h.str(), want.substr(0, i + 1));
    }
    HistoryLetters copy = h;
    EXPECT_EQ(copy.str(), want);
    HistoryLetters moved = std::move(copy);
    EXPECT_EQ(moved.str(), want);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from history is empty
    HistoryLetters shorter;
    shorter.push_back('S');
    moved = shorter;
    EXPECT_EQ(moved.str(), "S");
}

TEST(ChunkedSlab, slots_never_move_as_it_grows) {
    ChunkedSlab<std::uint64_t, 4> slab;
    const std::uint64_t* first = nullptr;
    for (std::uint64_t i = 0; i < 100; ++i) {
        const auto at = slab.take();
        EXPECT_EQ(at, i);
        slab[at] = i * 3;
        if (i == 0) first = &slab[0];
    }
    EXPECT_EQ(&slab[0], first);
    EXPECT_EQ(slab.size(), 100u);
    EXPECT_EQ(slab.capacity(), 112u);  // seven chunks of sixteen
    for (std::uint64_t i = 0; i < 100; ++i) EXPECT_EQ(slab[i], i * 3);
    // A slot given back is the next one taken; the slab does not grow for it.
    slab.give_back(42);
    EXPECT_EQ(slab.take(), 42u);
    EXPECT_EQ(slab.take(), 100u);
}

TEST(ChunkedSlab, large_chunks_are_cut_one_after_another_from_huge_page_regions) {
    struct Wide {
        std::array<std::uint64_t, 32> words{};  // 256 bytes: 4096 of them make a 1 MiB chunk
    };
    using Slab = ChunkedSlab<Wide>;
    static_assert(Slab::k_on_huge_pages);
    static_assert(Slab::k_region_bytes % Slab::k_chunk_bytes == 0);
    constexpr std::size_t per_region = Slab::k_region_bytes / Slab::k_chunk_bytes;
    Slab slab;
    // Two regions' worth and one chunk more.
    const std::size_t n = (2 * per_region + 1) * Slab::k_chunk;
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(slab.take(), i);
        slab[i].words[0] = i;
        slab[i].words[31] = ~i;
    }
    for (std::size_t c = 0; c + 1 < 2 * per_region + 1; ++c) {
        const auto* first = &slab[c * Slab::k_chunk];
        const auto* next = &slab[(c + 1) * Slab::k_chunk];
        // Within a region the next chunk follows on; a region starts on a huge page.
        if ((c + 1) % per_region != 0) {
            EXPECT_EQ(next, first + Slab::k_chunk) << "chunk " << c;
        } else {
            EXPECT_EQ(reinterpret_cast<std::uintptr_t>(next) % huge_pages::k_size, 0u) << "chunk " << c + 1;
        }
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(slab[i].words[0] == i && slab[i].words[31] == ~i) << i;
    // Moved whole: the regions go with the slots.
    Slab moved = std::move(slab);
    EXPECT_EQ(moved[n - 1].words[0], n - 1);
    EXPECT_EQ(slab.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from slab is empty
    moved.clear();
    EXPECT_EQ(moved.capacity(), 0u);
    EXPECT_EQ(moved.take(), 0u);
}
