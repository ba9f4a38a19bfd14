#include "engine/time_wait_table.hpp"

namespace teardown::engine {

TimeWaitTable::Id TimeWaitTable::allocate() {
    if (free_ != k_none) {
        const Id id = free_;
        free_ = entries_[id].next;
        return id;
    }
    entries_.emplace_back();
    return static_cast<Id>(entries_.size() - 1);
}

// The lane of entries that wait `length`: they join it in deadline order.
// More distinct lengths than lanes (sockets configured 16 ways at once) share
// the longest lane, their wait stretched to keep it sorted, never shortened.
std::uint8_t TimeWaitTable::lane_for(Duration length) {
    std::size_t longest = 0;
    for (std::size_t i = 0; i < lanes_used_; ++i) {
        if (lanes_[i].length == length) return static_cast<std::uint8_t>(i);
        if (lanes_[i].length > lanes_[longest].length) longest = i;
    }
    for (std::size_t i = 0; i < lanes_used_; ++i) {
        if (lanes_[i].head == k_none) {
            lanes_[i].length = length;
            return static_cast<std::uint8_t>(i);
        }
    }
    if (lanes_used_ < k_lanes) {
        lanes_[lanes_used_].length = length;
        return static_cast<std::uint8_t>(lanes_used_++);
    }
    return static_cast<std::uint8_t>(longest);
}

TimeWaitTable::Id TimeWaitTable::insert(const TimeWait& tw, Duration length) {
    const Id id = allocate();
    TimeWait& e = entries_[id];
    e = tw;
    e.flags &= static_cast<std::uint8_t>(~TimeWait::k_dead);
    e.next = k_none;
    e.lane = lane_for(length) & 0xF;
    Lane& lane = lanes_[e.lane];
    if (lane.tail != k_none && e.deadline < entries_[lane.tail].deadline) e.deadline = entries_[lane.tail].deadline;
    if (lane.tail == k_none) lane.head = id;
    else entries_[lane.tail].next = id;
    lane.tail = id;
    index_.insert(e.tuple(), id);
    ++live_;
    return id;
}

void TimeWaitTable::unlink_dead_heads(Lane& lane) {
    while (lane.head != k_none && entries_[lane.head].has(TimeWait::k_dead)) {
        const Id id = lane.head;
        lane.head = entries_[id].next;
        if (lane.head == k_none) lane.tail = k_none;
        entries_[id].next = free_;
        free_ = id;
    }
}

void TimeWaitTable::erase(Id id) {
    TimeWait& e = entries_[id];
    index_.erase(e.tuple(), tuple_of());
    e.flags |= TimeWait::k_dead;
    --live_;
    unlink_dead_heads(lanes_[e.lane]);
}

TimeWaitTable::Id TimeWaitTable::restart(Id id, Instant now) {
    const Lane& lane = lanes_[entries_[id].lane];
    const Instant deadline = now + lane.length;
    if (lane.tail == id) {
        entries_[id].deadline = deadline;  // already last in its lane: it stays sorted
        return id;
    }
    TimeWait copy = entries_[id];
    const Duration length = lane.length;
    erase(id);
    copy.deadline = deadline;
    return insert(copy, length);
}

TimeWaitTable::Id TimeWaitTable::oldest() const {
    Id best = k_none;
    for (std::size_t i = 0; i < lanes_used_; ++i) {
        const Id head = lanes_[i].head;
        if (head != k_none && (best == k_none || entries_[head].deadline < entries_[best].deadline ||
                               (entries_[head].deadline == entries_[best].deadline && head < best)))
            best = head;
    }
    return best;
}

} // namespace teardown::engine
