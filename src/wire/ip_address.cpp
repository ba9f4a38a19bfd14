#include "wire/ip_address.hpp"

#include <arpa/inet.h>

#include <bit>
#include <cstring>

#include "core/mix64.hpp"
#include "core/text_append.hpp"

namespace teardown::wire {

IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress a;
    a.version_ = IpVersion::v4;
    a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes_[3] = static_cast<std::uint8_t>(host_order);
    return a;
}

IpAddress IpAddress::v4(const std::byte* p) {
    IpAddress a;
    a.version_ = IpVersion::v4;
    std::memcpy(a.bytes_.data(), p, 4);
    return a;
}

IpAddress IpAddress::v6(const std::byte* p) {
    IpAddress a;
    a.version_ = IpVersion::v6;
    std::memcpy(a.bytes_.data(), p, 16);
    return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
    IpAddress a;
    a.version_ = IpVersion::v6;
    a.bytes_ = bytes;
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    std::string s{text};
    std::array<std::uint8_t, 16> buf{};
    if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
        IpAddress a;
        a.version_ = IpVersion::v4;
        std::memcpy(a.bytes_.data(), buf.data(), 4);
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) return v6(buf);
    return std::nullopt;
}

std::uint32_t IpAddress::v4_host_order() const {
    return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
           (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

std::string IpAddress::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

void IpAddress::append_to(std::string& out) const {
    append_written(out, k_max_text, [&](TextCursor& c) { write_to(c); });
}

void IpAddress::write_to(TextCursor& c) const {
    if (is_v4()) {
        c.byte(bytes_[0]).put('.').byte(bytes_[1]).put('.').byte(bytes_[2]).put('.').byte(bytes_[3]);
        return;
    }
    // inet_ntop writes RFC 5952's canonical IPv6 text, and its NUL.
    char text[k_max_text] = {};
    inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
    c.put(std::string_view{text});
}

std::string Endpoint::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

void Endpoint::append_to(std::string& out) const {
    append_written(out, k_max_text, [&](TextCursor& c) { write_to(c); });
}

void Endpoint::write_to(TextCursor& c) const {
    if (!addr.is_v4()) c.put('[');
    addr.write_to(c);
    c.put(addr.is_v4() ? std::string_view{":"} : std::string_view{"]:"});
    c.uint(port);
}

namespace {
std::uint64_t word(const std::array<std::uint8_t, 16>& b, std::size_t at) {
    std::uint64_t w = 0;
    std::memcpy(&w, b.data() + at, 8);
    return w;
}
} // namespace

std::size_t hash_value(const FourTuple& t) {
    // Flow tables hash every packet's 4-tuple: fold the four address words
    // with two multiplies, then one finalising mix spreads every bit.
    const std::uint64_t local = word(t.local.addr.bytes(), 0) ^ std::rotl(word(t.local.addr.bytes(), 8), 32);
    const std::uint64_t remote = word(t.remote.addr.bytes(), 0) ^ std::rotl(word(t.remote.addr.bytes(), 8), 32);
    const std::uint64_t ports = std::uint64_t{t.local.port} << 16 | t.remote.port;
    const std::uint64_t h = local * 0x9E3779B97F4A7C15ULL + std::rotl(remote * 0xC2B2AE3D27D4EB4FULL, 29);
    return static_cast<std::size_t>(mix64(h ^ ports ^ std::uint64_t{static_cast<std::uint8_t>(t.local.addr.version())} << 40));
}

} // namespace teardown::wire
