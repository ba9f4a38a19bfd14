#include "engine/timer_wheel.hpp"

#include <algorithm>
#include <bit>

namespace teardown::engine {

std::uint64_t TimerWheel::tick_of(Instant at) {
    return at.nanos() <= 0 ? 0 : static_cast<std::uint64_t>(at.nanos()) >> k_tick_shift;
}

// An id sits on the level of the highest bit in which its tick differs from
// now_tick_, in the slot named by that level's bits of its tick. Level 0 then
// holds the ticks of the current 64-tick block, level 1 the rest of the
// current 4096-tick block, and so on: every id on a level is due before
// every id on the levels above it, which is what makes next_deadline() cheap.
void TimerWheel::place(Id id) {
    Node& n = nodes_[id];
    std::uint64_t t = std::max(tick_of(n.at), now_tick_);
    constexpr std::uint64_t span = (std::uint64_t{1} << (k_bits * k_levels)) - 1;  // about 834 days
    if ((t ^ now_tick_) > span) t = now_tick_ | span;  // further than the wheel reaches: revisited there
    const std::uint64_t differ = t ^ now_tick_;
    const int level = differ == 0 ? 0 : (63 - std::countl_zero(differ)) / k_bits;
    const int slot = static_cast<int>((t >> (k_bits * level)) & (k_slots - 1));
    n.level = static_cast<std::uint8_t>(level);
    n.slot = static_cast<std::uint8_t>(slot);
    n.prev = k_none;
    n.next = heads_[level][slot];
    if (n.next != k_none) nodes_[n.next].prev = id;
    heads_[level][slot] = id;
    occupied_[level] |= std::uint64_t{1} << slot;
}

void TimerWheel::unlink(Id id) {
    Node& n = nodes_[id];
    if (n.prev != k_none) nodes_[n.prev].next = n.next;
    else heads_[n.level][n.slot] = n.next;
    if (n.next != k_none) nodes_[n.next].prev = n.prev;
    if (heads_[n.level][n.slot] == k_none) occupied_[n.level] &= ~(std::uint64_t{1} << n.slot);
    n.prev = n.next = k_none;
}

void TimerWheel::schedule(Id id, Instant at) {
    if (id >= nodes_.size()) nodes_.resize(std::size_t{id} + 1);
    Node& n = nodes_[id];
    if (n.at == at) return;
    if (!n.at.is_never()) {
        if (n.at == earliest_) earliest_known_ = false;
        unlink(id);
        --size_;
    }
    n.at = at;
    if (at.is_never()) return;
    place(id);
    ++size_;
    if (earliest_known_ && at < earliest_) earliest_ = at;
}

void TimerWheel::take_slot(int level, int slot, std::vector<Id>& into) {
    for (Id id = heads_[level][slot]; id != k_none; id = nodes_[id].next) into.push_back(id);
    heads_[level][slot] = k_none;
    occupied_[level] &= ~(std::uint64_t{1} << slot);
}

void TimerWheel::expire(Instant now, std::vector<Id>& due) {
    const std::uint64_t target = tick_of(now);
    moving_.clear();
    if (target <= now_tick_) {
        if (occupied_[0] & (std::uint64_t{1} << (now_tick_ & (k_slots - 1))))
            take_slot(0, static_cast<int>(now_tick_ & (k_slots - 1)), moving_);
    } else {
        // Each level gives up the slots the jump passes over; a level whose
        // block did not change keeps its ids, and so do all above it.
        for (int level = 0; level < k_levels; ++level) {
            const int shift = k_bits * level;
            const std::uint64_t from = now_tick_ >> shift;
            const std::uint64_t to = target >> shift;
            if (from == to) break;
            const std::uint64_t first = level == 0 ? from : from + 1;  // above level 0, from's own slot is empty
            std::uint64_t passed = ~std::uint64_t{0};
            if (to - first < k_slots - 1) {
                const auto count = static_cast<int>(to - first + 1);
                passed = std::rotl((std::uint64_t{1} << count) - 1, static_cast<int>(first & (k_slots - 1)));
            }
            for (std::uint64_t m = passed & occupied_[level]; m != 0; m &= m - 1)
                take_slot(level, std::countr_zero(m), moving_);
        }
        now_tick_ = target;
    }
    if (moving_.empty()) return;
    earliest_known_ = false;
    const std::size_t first_due = due.size();
    for (Id id : moving_) {
        if (nodes_[id].at <= now) due.push_back(id);
        else place(id);  // not yet: down to the level its deadline now belongs to
    }
    std::sort(due.begin() + static_cast<std::ptrdiff_t>(first_due), due.end(), [this](Id a, Id b) {
        return nodes_[a].at != nodes_[b].at ? nodes_[a].at < nodes_[b].at : a < b;
    });
    for (std::size_t i = first_due; i < due.size(); ++i) nodes_[due[i]].at = Instant::never();
    size_ -= due.size() - first_due;
}

Instant TimerWheel::next_deadline() const {
    if (earliest_known_) return earliest_;
    earliest_ = Instant::never();
    for (int level = 0; level < k_levels; ++level) {
        // On level 0 the slot of now_tick_ itself may hold ids; above it, the
        // slots after now_tick_'s, in order, hold what comes next.
        const auto own = static_cast<int>((now_tick_ >> (k_bits * level)) & (k_slots - 1));
        const int from = level == 0 ? own : own + 1;
        const std::uint64_t ahead = from >= k_slots ? 0 : occupied_[level] & (~std::uint64_t{0} << from);
        if (ahead == 0) continue;
        for (Id id = heads_[level][std::countr_zero(ahead)]; id != k_none; id = nodes_[id].next)
            earliest_ = std::min(earliest_, nodes_[id].at);
        break;
    }
    earliest_known_ = true;
    return earliest_;
}

} // namespace teardown::engine
