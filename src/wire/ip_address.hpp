#pragma once
// An IPv4 or IPv6 address as a value, and the 4-tuple that names a connection.
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/text_append.hpp"

namespace teardown::wire {

enum class IpVersion : std::uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
public:
    constexpr IpAddress() = default;
    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v4(const std::byte* network_order4);
    static IpAddress v6(const std::byte* network_order16);
    static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
    // "192.0.2.1", "2001:db8::1"; nothing for anything else.
    static std::optional<IpAddress> parse(std::string_view text);

    IpVersion version() const { return version_; }
    bool is_v4() const { return version_ == IpVersion::v4; }
    // IPv4: the first 4 bytes hold the address; IPv6: all 16.
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    std::uint32_t v4_host_order() const;
    // RFC 5952 text for IPv6, dotted quad for IPv4.
    std::string to_string() const;
    // The same text added to `out`, or written at a cursor with room for
    // k_max_text, for writers of many lines.
    static constexpr std::size_t k_max_text = 46;  // INET6_ADDRSTRLEN, its NUL included
    void append_to(std::string& out) const;
    void write_to(TextCursor& c) const;

    auto operator<=>(const IpAddress&) const = default;
    // Every segment's demultiplexing compares addresses: two words, not a byte loop.
    bool operator==(const IpAddress& o) const {
        std::uint64_t a[2];
        std::uint64_t b[2];
        std::memcpy(a, bytes_.data(), 16);
        std::memcpy(b, o.bytes_.data(), 16);
        return version_ == o.version_ && a[0] == b[0] && a[1] == b[1];
    }

private:
    IpVersion version_{IpVersion::v4};
    std::array<std::uint8_t, 16> bytes_{};
};

struct Endpoint {
    IpAddress addr;
    std::uint16_t port{0};
    auto operator<=>(const Endpoint&) const = default;
    std::string to_string() const;  // "192.0.2.1:80", "[2001:db8::1]:80"
    static constexpr std::size_t k_max_text = IpAddress::k_max_text + 8;
    void append_to(std::string& out) const;
    void write_to(TextCursor& c) const;
};

// A connection as seen from one side: local and remote endpoints.
struct FourTuple {
    Endpoint local;
    Endpoint remote;
    auto operator<=>(const FourTuple&) const = default;
    FourTuple reversed() const { return {remote, local}; }
};

std::size_t hash_value(const FourTuple& t);
inline std::size_t hash_value(const IpAddress& a) { return hash_value(FourTuple{{a, 0}, {}}); }

} // namespace teardown::wire

template <>
struct std::hash<teardown::wire::IpAddress> {
    std::size_t operator()(const teardown::wire::IpAddress& a) const { return teardown::wire::hash_value(a); }
};

template <>
struct std::hash<teardown::wire::FourTuple> {
    std::size_t operator()(const teardown::wire::FourTuple& t) const { return teardown::wire::hash_value(t); }
};
