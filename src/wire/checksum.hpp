#pragma once
// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's
// complement sum of 16-bit words; and the TCP pseudo-header sums of RFC 9293
// §3.1 (IPv4) and RFC 8200 §8.1 (IPv6).
#include <cstdint>
#include <span>

#include "wire/ip_address.hpp"

namespace teardown::wire {

// The running sum, not yet folded or complemented. Chain calls to sum
// several pieces; only the last piece may have an odd length.
std::uint64_t checksum_add(std::uint64_t sum, std::span<const std::byte> data);
// Folds a running sum to 16 bits and complements it: the value for the header field.
std::uint16_t checksum_finish(std::uint64_t sum);
// checksum_finish(checksum_add(0, data)).
std::uint16_t internet_checksum(std::span<const std::byte> data);

// The pseudo-header's contribution: addresses, protocol and upper-layer length.
std::uint64_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t upper_length);

} // namespace teardown::wire
