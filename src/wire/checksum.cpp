#include "wire/checksum.hpp"

#include <cstring>

#include "wire/bytes.hpp"

namespace teardown::wire {

std::uint64_t checksum_add(std::uint64_t sum, std::span<const std::byte> data) {
    // RFC 1071 §2(B): the sum is independent of byte order when folded at the
    // end, so add 32-bit big-endian words into a 64-bit accumulator.
    const std::byte* p = data.data();
    std::size_t n = data.size();
    while (n >= 4) {
        sum += load_be32(p);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        sum += load_be16(p);
        p += 2;
        n -= 2;
    }
    if (n == 1) sum += static_cast<std::uint64_t>(std::to_integer<unsigned>(p[0])) << 8;
    return sum;
}

std::uint16_t checksum_finish(std::uint64_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

std::uint16_t internet_checksum(std::span<const std::byte> data) {
    return checksum_finish(checksum_add(0, data));
}

std::uint64_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t upper_length) {
    const std::size_t n = src.is_v4() ? 4 : 16;
    std::uint64_t sum = 0;
    sum = checksum_add(sum, std::as_bytes(std::span{src.bytes().data(), n}));
    sum = checksum_add(sum, std::as_bytes(std::span{dst.bytes().data(), n}));
    sum += protocol;
    sum += upper_length;  // IPv4: 16-bit TCP length; IPv6: 32-bit upper-layer length
    return sum;
}

} // namespace teardown::wire
