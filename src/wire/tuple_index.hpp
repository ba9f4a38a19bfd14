#pragma once
// Connections by 4-tuple: the demultiplexing table every segment goes
// through. Open addressing with linear probing; a bucket holds only a slot
// number and 32 bits of the tuple's hash (8 bytes), the tuple itself stays in
// the connection, so the table costs no allocation per connection and little
// memory per entry. Deletion shifts the probe run back (no tombstones), so a
// table that churns through millions of connections never degrades.
#include <cstdint>
#include <utility>
#include <vector>

#include "wire/ip_address.hpp"

namespace teardown::wire {

class TupleIndex {
public:
    static constexpr std::uint32_t k_absent = 0xFFFFFFFF;

    // `tuple_of(id)` gives the tuple stored under `id`.
    template <class TupleOf>
    std::uint32_t find(const wire::FourTuple& tuple, const TupleOf& tuple_of) const {
        if (size_ == 0) return k_absent;
        const std::uint32_t h = hash32(tuple);
        for (std::size_t i = h & mask(); buckets_[i].id != k_absent; i = (i + 1) & mask())
            if (buckets_[i].hash == h && tuple_of(buckets_[i].id) == tuple) return buckets_[i].id;
        return k_absent;
    }

    // `tuple` must not be present.
    void insert(const wire::FourTuple& tuple, std::uint32_t id) {
        if ((size_ + 1) * 2 > buckets_.size()) grow();
        put({hash32(tuple), id});
        ++size_;
    }

    template <class TupleOf>
    bool erase(const wire::FourTuple& tuple, const TupleOf& tuple_of) {
        if (size_ == 0) return false;
        const std::uint32_t h = hash32(tuple);
        std::size_t i = h & mask();
        while (buckets_[i].id != k_absent && !(buckets_[i].hash == h && tuple_of(buckets_[i].id) == tuple))
            i = (i + 1) & mask();
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
        std::vector<Bucket> old = std::exchange(buckets_, std::vector<Bucket>(buckets_.empty() ? 64 : buckets_.size() * 2));
        for (const Bucket& b : old)
            if (b.id != k_absent) put(b);
    }

    std::vector<Bucket> buckets_;
    std::size_t size_{0};
};

} // namespace teardown::wire
