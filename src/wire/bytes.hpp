#pragma once
// Big-endian (network order) loads and stores over std::byte. Callers have
// already checked the bounds; these only assemble the bytes.
#include <cstddef>
#include <cstdint>

namespace teardown::wire {

inline std::uint8_t load_u8(const std::byte* p) { return std::to_integer<std::uint8_t>(p[0]); }
inline std::uint16_t load_be16(const std::byte* p) {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load_be32(const std::byte* p) {
    return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
           (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}
inline std::uint16_t load_le16(const std::byte* p) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) | (std::to_integer<unsigned>(p[1]) << 8));
}
inline std::uint32_t load_le32(const std::byte* p) {
    return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
           (std::to_integer<std::uint32_t>(p[2]) << 16) | (std::to_integer<std::uint32_t>(p[3]) << 24);
}
inline void store_u8(std::byte* p, std::uint8_t v) { p[0] = std::byte{v}; }
inline void store_be16(std::byte* p, std::uint16_t v) {
    p[0] = std::byte(static_cast<unsigned char>(v >> 8));
    p[1] = std::byte(static_cast<unsigned char>(v));
}
inline void store_be32(std::byte* p, std::uint32_t v) {
    p[0] = std::byte(static_cast<unsigned char>(v >> 24));
    p[1] = std::byte(static_cast<unsigned char>(v >> 16));
    p[2] = std::byte(static_cast<unsigned char>(v >> 8));
    p[3] = std::byte(static_cast<unsigned char>(v));
}
inline void store_le32(std::byte* p, std::uint32_t v) {
    p[0] = std::byte(static_cast<unsigned char>(v));
    p[1] = std::byte(static_cast<unsigned char>(v >> 8));
    p[2] = std::byte(static_cast<unsigned char>(v >> 16));
    p[3] = std::byte(static_cast<unsigned char>(v >> 24));
}

} // namespace teardown::wire
