#pragma once
// A slab of default-constructible values in fixed chunks: numbered slots
// that never move, grown a chunk at a time. Unlike a vector it never copies
// what it holds to grow, so a table of a million entries costs its size in
// memory, not twice its size for the moment of a reallocation. Slots given
// back are handed out again before the slab grows. A slot is made when it
// is first taken, not with its chunk: a new chunk's memory is touched (and
// faulted in) a slot at a time, just before its first value is written,
// rather than all of it at once and again later, out of cache.
//
// Large chunks (a table's, by the million) are cut one after another from
// regions on huge pages (core/huge_pages.hpp) rather than taken from the
// heap a chunk at a time: a region holds a whole number of chunks, and of
// huge pages where the two meet within 64 MiB, so the pages a region's
// chunks touch are theirs alone (else it wastes less than a chunk). Small
// ones (side tables most captures hardly use) come from the heap, as a huge
// page would be mostly empty.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"

namespace teardown {

template <typename T, std::size_t ChunkBits = 12>
class ChunkedSlab {
public:
    static constexpr std::size_t k_chunk = std::size_t{1} << ChunkBits;

    ChunkedSlab() = default;
    ChunkedSlab(const ChunkedSlab&) = delete;
    ChunkedSlab& operator=(const ChunkedSlab&) = delete;
    ChunkedSlab(ChunkedSlab&& o) noexcept
        : chunks_{std::exchange(o.chunks_, {})},
          regions_{std::exchange(o.regions_, {})},
          free_{std::exchange(o.free_, {})},
          size_{std::exchange(o.size_, 0)} {}
    ChunkedSlab& operator=(ChunkedSlab&& o) noexcept {
        if (this == &o) return *this;
        clear();
        chunks_ = std::exchange(o.chunks_, {});
        regions_ = std::exchange(o.regions_, {});
        free_ = std::exchange(o.free_, {});
        size_ = std::exchange(o.size_, 0);
        return *this;
    }
    ~ChunkedSlab() { clear(); }

    T& operator[](std::size_t i) { return chunks_[i >> ChunkBits][i & (k_chunk - 1)]; }
    const T& operator[](std::size_t i) const { return chunks_[i >> ChunkBits][i & (k_chunk - 1)]; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return chunks_.size() * k_chunk; }
    std::size_t bytes() const {
        return capacity() * sizeof(T) + chunks_.capacity() * sizeof(chunks_[0]) + free_.capacity() * sizeof(free_[0]);
    }

    // A slot for a new value: one given back, else a new one at the end; its number.
    std::size_t take() {
        if (!free_.empty()) {
            const std::size_t i = free_.back();
            free_.pop_back();
            return i;
        }
        if (size_ == capacity()) chunks_.push_back(new_chunk());
        std::construct_at(&(*this)[size_]);
        return size_++;
    }
    // Slot `i` is free to be taken again (its value stays until then).
    void give_back(std::size_t i) { free_.push_back(static_cast<std::uint32_t>(i)); }
    void clear() {
        for (std::size_t c = 0; c < chunks_.size(); ++c) {
            std::destroy_n(chunks_[c], std::min(k_chunk, size_ - c * k_chunk));
            if constexpr (!k_on_huge_pages) std::allocator<T>{}.deallocate(chunks_[c], k_chunk);
        }
        for (std::byte* r : regions_) huge_pages::unmap(r, k_region_bytes);
        chunks_.clear();
        regions_.clear();
        free_.clear();
        size_ = 0;
    }

    static constexpr std::size_t k_chunk_bytes = k_chunk * sizeof(T);
    static constexpr bool k_on_huge_pages = k_chunk_bytes >= std::size_t{256} << 10;
    // A whole number of chunks: as many as fill whole huge pages exactly
    // where that is at most 64 MiB (the trackers' 736 KiB chunks: 64 in 46
    // MiB), so no huge page holds the end of a region; else what fits in 32 MiB.
    static constexpr std::size_t k_exact_region = std::lcm(k_chunk_bytes, huge_pages::k_size);
    static constexpr std::size_t k_region_bytes =
        k_exact_region <= 32 * huge_pages::k_size
            ? k_exact_region
            : std::max(16 * huge_pages::k_size, huge_pages::rounded(k_chunk_bytes)) / k_chunk_bytes * k_chunk_bytes;

private:
    T* new_chunk() {
        if constexpr (!k_on_huge_pages) {
            return std::allocator<T>{}.allocate(k_chunk);
        } else {
            const std::size_t in_region = chunks_.size() % (k_region_bytes / k_chunk_bytes);
            if (in_region == 0) regions_.push_back(huge_pages::map(k_region_bytes));
            return reinterpret_cast<T*>(regions_.back() + in_region * k_chunk_bytes);
        }
    }

    std::vector<T*> chunks_;  // each of k_chunk slots, the first size_ of all made
    std::vector<std::byte*> regions_;  // where large chunks are cut from, k_region_bytes each
    std::vector<std::uint32_t> free_;
    std::size_t size_{0};  // slots ever taken, given back or not
};

} // namespace teardown
