#pragma once
// The Stack's TIME-WAIT entries: a slab of 64-byte records, found by
// 4-tuple through the same open-addressing index the connections use, and
// expired in O(1) each. Entries of one TIME-WAIT length enter in deadline
// order, so a singly linked list per length (a "lane") is already sorted:
// expiry pops heads, the next deadline is the earliest head, the oldest entry
// is found in a glance. The links live inside the entries, so the table
// costs 64 bytes an entry plus the index's 8-byte buckets, and no allocation
// per entry. An entry that leaves early (RST under RFC 1337 off, a SYN that
// reuses the 4-tuple, a restart) is marked dead and unlinked when it
// reaches its lane's head; a lane's head is always live.
#include <array>
#include <cstdint>
#include <vector>

#include "core/time.hpp"
#include "engine/time_wait.hpp"
#include "wire/tuple_index.hpp"

namespace teardown::engine {

class TimeWaitTable {
    // What the tuple index needs to compare an entry with a tuple.
    struct TupleOf {
        const TimeWaitTable* table;
        wire::FourTuple operator()(std::uint32_t id) const { return table->entries_[id].tuple(); }
    };
    TupleOf tuple_of() const { return {this}; }

public:
    using Id = std::uint32_t;
    static constexpr Id k_none = 0xFFFFFFFF;

    Id find(const wire::FourTuple& tuple) const { return index_.find(tuple, tuple_of()); }
    TimeWait& at(Id id) { return entries_[id]; }
    const TimeWait& at(Id id) const { return entries_[id]; }

    // Adds `tw`, whose 4-tuple must not be here, to end at `tw.deadline`,
    // `length` after now (the lane it joins).
    Id insert(const TimeWait& tw, Duration length);
    // Takes an entry out before its time.
    void erase(Id id);
    // Starts an entry's 2 MSL over; its id may change.
    Id restart(Id id, Instant now);
    // The live entry whose wait ends first, or k_none.
    Id oldest() const;

    // Removes every entry due at `now` and calls `gone(entry)` for each, in deadline order.
    template <class Gone>
    void expire(Instant now, Gone&& gone) {
        for (;;) {
            const Id id = oldest();
            if (id == k_none || now < entries_[id].deadline) return;
            gone(static_cast<const TimeWait&>(entries_[id]));
            erase(id);
        }
    }
    Instant next_deadline() const {
        const Id id = oldest();
        return id == k_none ? Instant::never() : entries_[id].deadline;
    }

    std::size_t size() const { return live_; }
    // Whether any entry matches `pred` (a scan).
    template <class Pred>
    bool any(Pred&& pred) const {
        for (const TimeWait& e : entries_)
            if (!e.has(TimeWait::k_dead) && pred(e)) return true;
        return false;
    }
    // Memory the table holds: the slab and the index, as allocated.
    std::size_t bytes() const { return entries_.capacity() * sizeof(TimeWait) + index_.bytes(); }

private:
    static constexpr std::size_t k_lanes = 16;  // distinct TIME-WAIT lengths in use at once
    struct Lane {
        Duration length{};
        Id head{k_none};
        Id tail{k_none};
    };

    std::uint8_t lane_for(Duration length);
    void unlink_dead_heads(Lane& lane);
    Id allocate();

    std::vector<TimeWait> entries_;
    Id free_{k_none};  // free entries, linked through TimeWait::next
    std::array<Lane, k_lanes> lanes_{};
    std::size_t lanes_used_{0};
    wire::TupleIndex index_;
    std::size_t live_{0};
};

} // namespace teardown::engine
