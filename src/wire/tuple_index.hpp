#pragma once
// Connections by 4-tuple: the demultiplexing table every segment goes
// through. Open addressing with linear probing; a bucket holds only a slot
// number and 32 bits of the tuple's hash (8 bytes), the tuple itself stays in
// the connection, so the table costs no allocation per connection and little
// memory per entry. Deletion shifts the probe run back (no tombstones), so a
// table that churns through millions of connections never degrades. A
// table of a huge page or more is mapped on huge pages (core/huge_pages.hpp):
// a lookup lands anywhere in it, and on 4 KiB pages mostly misses the TLB.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"
#include "wire/ip_address.hpp"

namespace teardown::wire {

class TupleIndex {
public:
    static constexpr std::uint32_t k_absent = 0xFFFFFFFF;

    // The table grows when more than `max_load_percent` of its buckets are
    // taken: 50 keeps probe runs short; a table kept by the million (the
    // analyzer's) trades a few probes for memory.
    explicit TupleIndex(unsigned max_load_percent = 50) : max_load_percent_{max_load_percent} {}

    // `tuple_of(id)` gives the tuple stored under `id`.
    template <class TupleOf>
    std::uint32_t find(const wire::FourTuple& tuple, const TupleOf& tuple_of) const {
        return find_hashed(hash32(tuple), [&](std::uint32_t id) { return tuple_of(id) == tuple; });
    }
    // `tuple` must not be present.
    void insert(const wire::FourTuple& tuple, std::uint32_t id) { insert_hashed(hash32(tuple), id); }
    template <class TupleOf>
    bool erase(const wire::FourTuple& tuple, const TupleOf& tuple_of) {
        return erase_hashed(hash32(tuple), [&](std::uint32_t id) { return tuple_of(id) == tuple; });
    }

    // The same for keys of the caller's own, by 32 bits of their hash and
    // `is(id)`, whether the key stored under `id` is the one sought.
    template <class Is>
    std::uint32_t find_hashed(std::uint32_t h, const Is& is) const {
        if (size_ == 0) return k_absent;
        for (std::size_t i = h & mask(); buckets_[i].id != k_absent; i = (i + 1) & mask())
            if (buckets_[i].hash == h && is(buckets_[i].id)) return buckets_[i].id;
        return k_absent;
    }
    void insert_hashed(std::uint32_t h, std::uint32_t id) {
        if ((size_ + 1) * 100 > buckets_.size() * max_load_percent_) grow();
        put({h, id});
        ++size_;
    }
    template <class Is>
    bool erase_hashed(std::uint32_t h, const Is& is) {
        if (size_ == 0) return false;
        std::size_t i = h & mask();
        while (buckets_[i].id != k_absent && !(buckets_[i].hash == h && is(buckets_[i].id))) i = (i + 1) & mask();
        if (buckets_[i].id == k_absent) return false;
        // Backward shift: pull each later member of the run into the hole
        // unless its home lies cyclically after the hole.
        for (std::size_t j = (i + 1) & mask(); buckets_[j].id != k_absent; j = (j + 1) & mask()) {
            const std::size_t home = buckets_[j].hash & mask();
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (stays) continue;
            buckets_[i] = buckets_[j];
            i = j;
        }
        buckets_[i] = Bucket{};
        --size_;
        return true;
    }
    // Where a key of hash `h` would start probing: to prefetch it.
    const void* home_of(std::uint32_t h) const { return buckets_.empty() ? nullptr : &buckets_[h & mask()]; }

    std::size_t size() const { return size_; }
    std::size_t bytes() const { return buckets_.capacity() * sizeof(Bucket); }

private:
    struct Bucket {
        std::uint32_t hash{0};
        std::uint32_t id{k_absent};
    };

    static std::uint32_t hash32(const wire::FourTuple& t) { return static_cast<std::uint32_t>(wire::hash_value(t) >> 32); }
    std::size_t mask() const { return buckets_.size() - 1; }
    void put(Bucket b) {
        std::size_t i = b.hash & mask();
        while (buckets_[i].id != k_absent) i = (i + 1) & mask();
        buckets_[i] = b;
    }
    void grow() {
        Buckets old = std::exchange(buckets_, Buckets(buckets_.empty() ? 64 : buckets_.size() * 2));
        for (const Bucket& b : old)
            if (b.id != k_absent) put(b);
    }

    using Buckets = std::vector<Bucket, HugePageAllocator<Bucket>>;
    Buckets buckets_;
    std::size_t size_{0};
    unsigned max_load_percent_;
};

} // namespace teardown::wire
