#pragma once
// The Stack's timers: a hierarchical timing wheel (Varghese and Lauck, 1987)
// that keeps every deadline exact. Each id (a connection's slot) has at most
// one deadline. Scheduling and cancelling are O(1); expiry touches only the
// occupied slots a jump passes over, found with one bitmap per level, so a
// jump of 60 s to the end of TIME-WAIT costs a few bit operations, not 57 000
// ticks. The wheel buckets by a tick of about a millisecond, but it
// compares the exact `Instant`: nothing fires early or late, and
// next_deadline() is the exact earliest deadline, as a sans-I/O caller that
// sleeps until it needs.
#include <array>
#include <cstdint>
#include <vector>

#include "core/time.hpp"

namespace teardown::engine {

class TimerWheel {
public:
    using Id = std::uint32_t;

    // Sets `id`'s deadline, replacing any earlier one; never() cancels.
    void schedule(Id id, Instant at);
    void cancel(Id id) { schedule(id, Instant::never()); }
    Instant deadline(Id id) const { return id < nodes_.size() ? nodes_[id].at : Instant::never(); }

    // Removes every id whose deadline is at or before `now` and appends them
    // to `due` in deadline order (ties by id), so a run is reproducible.
    void expire(Instant now, std::vector<Id>& due);
    // The earliest deadline of all, exactly; never() when there is none.
    Instant next_deadline() const;
    std::size_t size() const { return size_; }

private:
    static constexpr int k_levels = 6;
    static constexpr int k_bits = 6;                      // 64 slots a level
    static constexpr int k_slots = 1 << k_bits;
    static constexpr int k_tick_shift = 20;               // a tick is 2^20 ns, about 1 ms
    static constexpr Id k_none = 0xFFFFFFFF;

    struct Node {
        Instant at{Instant::never()};
        Id prev{k_none};
        Id next{k_none};
        std::uint8_t level{0};
        std::uint8_t slot{0};
    };

    static std::uint64_t tick_of(Instant at);
    void place(Id id);     // into the slot its deadline's tick belongs to, seen from now_tick_
    void unlink(Id id);
    void take_slot(int level, int slot, std::vector<Id>& into);

    std::vector<Node> nodes_;
    std::array<std::array<Id, k_slots>, k_levels> heads_ = make_heads();
    std::array<std::uint64_t, k_levels> occupied_{};  // bit s: slot s holds an id
    std::uint64_t now_tick_{0};                        // everything before this tick has been expired
    std::size_t size_{0};
    std::vector<Id> moving_;                           // scratch for expire()
    mutable Instant earliest_{Instant::never()};       // next_deadline()'s answer, while known
    mutable bool earliest_known_{true};

    static std::array<std::array<Id, k_slots>, k_levels> make_heads() {
        std::array<std::array<Id, k_slots>, k_levels> h{};
        for (auto& level : h) level.fill(k_none);
        return h;
    }
};

} // namespace teardown::engine
