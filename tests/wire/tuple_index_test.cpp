// The demultiplexing index against a std::map: inserts and erases in any
// order, probe runs that wrap the table's end, growth, and nothing found
// that was erased.
#include "wire/tuple_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace teardown::wire {
namespace {

wire::FourTuple tuple(std::uint16_t local_port, std::uint32_t remote) {
    return {{wire::IpAddress::v4(0xC0000201), local_port}, {wire::IpAddress::v4(0xC6336400 + remote), 443}};
}

TEST(TupleIndex, FindsWhatWasInsertedAndNotWhatWasErased) {
    std::vector<wire::FourTuple> stored{tuple(40000, 1), tuple(40001, 1), tuple(40000, 2)};
    auto tuple_of = [&](std::uint32_t id) -> const wire::FourTuple& { return stored[id]; };
    TupleIndex index;
    EXPECT_EQ(index.find(stored[0], tuple_of), TupleIndex::k_absent);
    for (std::uint32_t id = 0; id < stored.size(); ++id) index.insert(stored[id], id);
    EXPECT_EQ(index.find(stored[1], tuple_of), 1u);
    EXPECT_TRUE(index.erase(stored[1], tuple_of));
    EXPECT_FALSE(index.erase(stored[1], tuple_of));
    EXPECT_EQ(index.find(stored[1], tuple_of), TupleIndex::k_absent);
    EXPECT_EQ(index.find(stored[2], tuple_of), 2u);
    EXPECT_EQ(index.find(tuple(40001, 2), tuple_of), TupleIndex::k_absent);  // same ports, other peer
    EXPECT_EQ(index.size(), 2u);
}

// Inserts stored[id] if the model lacks it, erases it otherwise, in both.
template <typename TupleOf>
void flip(TupleIndex& index, std::map<wire::FourTuple, std::uint32_t>& model, const std::vector<wire::FourTuple>& stored,
          std::uint32_t id, const TupleOf& tuple_of) {
    if (model.count(stored[id])) {
        ASSERT_TRUE(index.erase(stored[id], tuple_of));
        model.erase(stored[id]);
    } else {
        index.insert(stored[id], id);
        model[stored[id]] = id;
    }
}

TEST(TupleIndex, ChurnAgreesWithAMap) {
    std::mt19937 rng{7};
    std::vector<wire::FourTuple> stored;
    for (std::uint32_t i = 0; i < 5'000; ++i) stored.push_back(tuple(static_cast<std::uint16_t>(32768 + i % 3000), i / 3000));
    auto tuple_of = [&](std::uint32_t id) -> const wire::FourTuple& { return stored[id]; };
    TupleIndex index;
    std::map<wire::FourTuple, std::uint32_t> model;
    for (int step = 0; step < 200'000; ++step) {
        flip(index, model, stored, static_cast<std::uint32_t>(rng() % stored.size()), tuple_of);
        if (HasFatalFailure()) return;
        const auto probe = static_cast<std::uint32_t>(rng() % stored.size());
        const auto want = model.count(stored[probe]) ? probe : TupleIndex::k_absent;
        ASSERT_EQ(index.find(stored[probe], tuple_of), want) << "step " << step;
    }
    EXPECT_EQ(index.size(), model.size());
    for (const auto& [t, id] : model) EXPECT_EQ(index.find(t, tuple_of), id);
}

// Tuples whose home buckets are the last and first of the smallest table
// (64 buckets, homed by the top 32 bits of hash_value), so probe runs wrap
// past the end and erasing must shift entries back across it.
TEST(TupleIndex, ProbeRunsThatWrapPastTheEnd) {
    std::vector<wire::FourTuple> stored;
    for (std::uint32_t i = 0; stored.size() < 24; ++i) {
        const auto t = tuple(static_cast<std::uint16_t>(1024 + i), 9);
        const auto home = (wire::hash_value(t) >> 32) & 63;
        if (home >= 61 || home <= 1) stored.push_back(t);
    }
    auto tuple_of = [&](std::uint32_t id) -> const wire::FourTuple& { return stored[id]; };
    std::mt19937 rng{11};
    TupleIndex index;
    std::map<wire::FourTuple, std::uint32_t> model;
    for (int step = 0; step < 20'000; ++step) {
        flip(index, model, stored, static_cast<std::uint32_t>(rng() % stored.size()), tuple_of);
        if (HasFatalFailure()) return;
        for (std::uint32_t probe = 0; probe < stored.size(); ++probe)
            ASSERT_EQ(index.find(stored[probe], tuple_of), model.count(stored[probe]) ? probe : TupleIndex::k_absent)
                << "step " << step;
    }
}

} // namespace
} // namespace teardown::wire
