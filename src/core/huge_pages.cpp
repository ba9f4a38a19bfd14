#include "core/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace teardown::huge_pages {

std::byte* map(std::size_t bytes) {
    const std::size_t size = rounded(bytes);
    // mmap aligns to 4 KiB only: map a huge page more, then give back the
    // ends that lie outside the aligned range.
    void* raw = ::mmap(nullptr, size + k_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc{};
    auto* start = static_cast<std::byte*>(raw);
    const std::size_t head = (k_size - reinterpret_cast<std::uintptr_t>(start) % k_size) % k_size;
    std::byte* const aligned = start + head;
    if (head != 0) ::munmap(start, head);
    ::munmap(aligned + size, k_size - head);  // the tail is never empty: head < k_size
    // Advice: a kernel without THP refuses it, and the pages stay small.
    ::madvise(aligned, size, MADV_HUGEPAGE);
    return aligned;
}

void unmap(std::byte* at, std::size_t bytes) { ::munmap(at, rounded(bytes)); }

} // namespace teardown::huge_pages
