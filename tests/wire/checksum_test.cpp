#include <gtest/gtest.h>

#include <vector>

#include "support/bytes.hpp"

#include "wire/checksum.hpp"

using namespace teardown::wire;

using teardown::test::bytes;

TEST(Checksum, rfc1071_example_sums_to_ddf2) {
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
    auto data = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
    EXPECT_EQ(internet_checksum(data), static_cast<std::uint16_t>(~0xddf2));
}

TEST(Checksum, known_ipv4_header) {
    // 192.168.0.1 -> 192.168.0.199, UDP, total length 115: checksum b861.
    auto header = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
                         0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
    EXPECT_EQ(internet_checksum(header), 0xb861);
    header[10] = std::byte{0xb8};
    header[11] = std::byte{0x61};
    EXPECT_EQ(internet_checksum(header), 0);
}

TEST(Checksum, odd_length_pads_with_a_zero_byte) {
    EXPECT_EQ(internet_checksum(bytes({0x12, 0x34, 0x56})), internet_checksum(bytes({0x12, 0x34, 0x56, 0x00})));
}

TEST(Checksum, pieces_chain_at_even_boundaries) {
    auto all = bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    auto sum = checksum_add(0, std::span{all}.first(6));
    sum = checksum_add(sum, std::span{all}.subspan(6));
    EXPECT_EQ(checksum_finish(sum), internet_checksum(all));
}

TEST(Checksum, pseudo_header_counts_addresses_protocol_and_length) {
    auto src = *IpAddress::parse("192.0.2.1");
    auto dst = *IpAddress::parse("192.0.2.2");
    // c000 + 0201 + c000 + 0202 + 0006 + 0014
    const std::uint64_t expected = 0xc000 + 0x0201 + 0xc000 + 0x0202 + 6 + 20;
    EXPECT_EQ(checksum_finish(pseudo_header_sum(src, dst, 6, 20)), checksum_finish(expected));
}
