#pragma once
// A slab of default-constructible values in fixed chunks: numbered slots
// that never move, grown a chunk at a time. Unlike a vector it never copies
// what it holds to grow, so a table of a million entries costs its size in
// memory, not twice its size for the moment of a reallocation. Slots given
// back are handed out again before the slab grows.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace teardown {

template <typename T, std::size_t ChunkBits = 12>
class ChunkedSlab {
public:
    static constexpr std::size_t k_chunk = std::size_t{1} << ChunkBits;

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
        if (size_ == capacity()) chunks_.push_back(std::make_unique<T[]>(k_chunk));
        return size_++;
    }
    // Slot `i` is free to be taken again (its value stays until then).
    void give_back(std::size_t i) { free_.push_back(static_cast<std::uint32_t>(i)); }
    void clear() {
        chunks_.clear();
        free_.clear();
        size_ = 0;
    }

private:
    std::vector<std::unique_ptr<T[]>> chunks_;
    std::vector<std::uint32_t> free_;
    std::size_t size_{0};  // slots ever taken, given back or not
};

} // namespace teardown
