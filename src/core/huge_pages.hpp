#pragma once
// Memory the kernel may back with transparent huge pages (2 MiB), for the
// tables of a million entries that every packet reaches into at random: the
// analyzer's flow slab and the tuple indexes. On 4 KiB pages such a table
// takes a page fault for every 4 KiB it grows by and a TLB miss on most
// lookups; on 2 MiB pages, 512 times fewer faults and far fewer misses. Linux in THP's
// "madvise" mode backs only what madvise(MADV_HUGEPAGE) names, and only
// whole 2 MiB-aligned pages of it, so the mapping is aligned here. Where
// the kernel has no THP the advice is refused and the memory is plain.
#include <cstddef>
#include <memory>
#include <new>

namespace teardown {

namespace huge_pages {

inline constexpr std::size_t k_size = std::size_t{2} << 20;

constexpr std::size_t rounded(std::size_t bytes) { return (bytes + k_size - 1) / k_size * k_size; }
// rounded(bytes) of zeroed memory at a 2 MiB boundary, advised for huge
// pages; pages are faulted in as they are first touched. Throws
// std::bad_alloc when it cannot be mapped.
std::byte* map(std::size_t bytes);
// What map(bytes) gave, with the same `bytes`.
void unmap(std::byte* at, std::size_t bytes);

} // namespace huge_pages

// For containers that can grow large (a vector of index buckets): a block of
// a huge page or more is mapped on its own, smaller ones come from the heap.
template <typename T>
struct HugePageAllocator {
    using value_type = T;
    static constexpr std::size_t k_mapped_from = huge_pages::k_size;

    HugePageAllocator() = default;
    template <typename U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n * sizeof(T) < k_mapped_from) return std::allocator<T>{}.allocate(n);
        return reinterpret_cast<T*>(huge_pages::map(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < k_mapped_from) return std::allocator<T>{}.deallocate(p, n);
        huge_pages::unmap(reinterpret_cast<std::byte*>(p), n * sizeof(T));
    }
    template <typename U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
};

} // namespace teardown
