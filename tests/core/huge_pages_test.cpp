#include "core/huge_pages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using teardown::HugePageAllocator;
namespace huge_pages = teardown::huge_pages;

// The VmFlags line of the mapping that holds `p`, from /proc/self/smaps.
std::string vm_flags_of(const void* p) {
    std::ifstream smaps{"/proc/self/smaps"};
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uintptr_t from = 0, to = 0;
        char dash = 0;
        std::istringstream head{line};
        if (head >> std::hex >> from >> dash >> to && dash == '-' && line.find(':') > line.find(' ')) {
            inside = from <= at && at < to;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return {};
}

bool kernel_has_thp() { return std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled"); }

TEST(HugePages, a_mapping_is_whole_zeroed_huge_pages_at_a_huge_page_boundary) {
    EXPECT_EQ(huge_pages::rounded(1), huge_pages::k_size);
    EXPECT_EQ(huge_pages::rounded(huge_pages::k_size), huge_pages::k_size);
    EXPECT_EQ(huge_pages::rounded(huge_pages::k_size + 1), 2 * huge_pages::k_size);
    const std::size_t bytes = huge_pages::k_size + 4096;
    std::byte* p = huge_pages::map(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % huge_pages::k_size, 0u);
    const std::size_t whole = huge_pages::rounded(bytes);
    EXPECT_TRUE(std::all_of(p, p + whole, [](std::byte b) { return b == std::byte{0}; }));
    p[0] = std::byte{1};
    p[whole - 1] = std::byte{2};  // the rounding is the caller's to use
    EXPECT_EQ(p[whole - 1], std::byte{2});
    huge_pages::unmap(p, bytes);
}

TEST(HugePages, the_mapping_is_advised_for_huge_pages_where_the_kernel_has_them) {
    if (!kernel_has_thp()) GTEST_SKIP() << "this kernel has no transparent huge pages";
    std::byte* p = huge_pages::map(4 * huge_pages::k_size);
    const std::string flags = vm_flags_of(p);
    ASSERT_FALSE(flags.empty()) << "no mapping in /proc/self/smaps holds the memory";
    EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;  // VM_HUGEPAGE: madvise(MADV_HUGEPAGE) took
    huge_pages::unmap(p, 4 * huge_pages::k_size);
}

TEST(HugePages, the_allocator_maps_large_blocks_and_takes_small_ones_from_the_heap) {
    std::vector<std::uint64_t, HugePageAllocator<std::uint64_t>> large(huge_pages::k_size / 8 + 1, 7);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % huge_pages::k_size, 0u);
    EXPECT_EQ(large.front(), 7u);
    EXPECT_EQ(large.back(), 7u);
    if (kernel_has_thp()) {
        EXPECT_NE(vm_flags_of(large.data()).find(" hg"), std::string::npos);
    }
    std::vector<std::uint64_t, HugePageAllocator<std::uint64_t>> small(16, 3);
    EXPECT_EQ(vm_flags_of(small.data()).find(" hg"), std::string::npos);
    // Growing from the heap to a mapping and back keeps the values.
    small.resize(huge_pages::k_size / 8 * 3, 5);
    EXPECT_EQ(small[15], 3u);
    EXPECT_EQ(small.back(), 5u);
    large = small;
    EXPECT_EQ(large[0], 3u);
}

} // namespace
