#pragma once
// A connection's 4-tuple as the analyzer's flow table keys it: both
// directions under one key, the lower endpoint first, built straight from a
// decoded packet's address bytes. A tracked flow keeps it in 12 bytes
// (StoredKey): IPv4 in full; for IPv6 the two addresses sit in a side table
// and the stored key names their slot.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "core/mix64.hpp"
#include "wire/ip_address.hpp"

namespace teardown::analyze {

struct StoredKey {
    std::uint32_t lo{0};  // IPv4: the lower endpoint's address; IPv6: the side table's slot
    std::uint32_t hi{0};  // IPv4: the higher endpoint's address
    std::uint16_t lo_port{0};
    std::uint16_t hi_port{0};
    bool operator==(const StoredKey&) const = default;
};

struct FlowKey {
    std::array<std::uint8_t, 16> lo{};  // IPv4: the first four bytes
    std::array<std::uint8_t, 16> hi{};
    std::uint16_t lo_port{0};
    std::uint16_t hi_port{0};
    bool v6{false};

    // The key of a packet from `src` to `dst` (4 or 16 address bytes each);
    // `from_lo` tells whether its sender is the key's lower endpoint.
    static FlowKey of(bool v6, const void* src, std::uint16_t src_port, const void* dst, std::uint16_t dst_port,
                      bool& from_lo) {
        FlowKey k;
        k.assign(v6, src, src_port, dst, dst_port, from_lo);
        return k;
    }
    // The same, written over this key in place: what every packet's frame
    // reader does. A key built in a temporary and copied is written in
    // narrow stores and read back at once by wider loads, which the CPU
    // cannot forward from its store buffer; that stall was half the time
    // of reading a plain frame (perf, 5 M packets).
    void assign(bool is_v6, const void* src, std::uint16_t src_port, const void* dst, std::uint16_t dst_port, bool& from_lo) {
        int c;
        if (is_v6) {
            c = std::memcmp(src, dst, 16);
        } else {
            // Four bytes in network order compare as one big-endian word.
            std::uint32_t a, b;
            std::memcpy(&a, src, 4);
            std::memcpy(&b, dst, 4);
            a = __builtin_bswap32(a);
            b = __builtin_bswap32(b);
            c = a < b ? -1 : a > b ? 1 : 0;
        }
        from_lo = c < 0 || (c == 0 && src_port <= dst_port);
        const void* lo_addr = from_lo ? src : dst;
        const void* hi_addr = from_lo ? dst : src;
        if (is_v6) {
            std::memcpy(lo.data(), lo_addr, 16);
            std::memcpy(hi.data(), hi_addr, 16);
        } else {
            lo = {};
            hi = {};
            std::memcpy(lo.data(), lo_addr, 4);
            std::memcpy(hi.data(), hi_addr, 4);
        }
        lo_port = from_lo ? src_port : dst_port;
        hi_port = from_lo ? dst_port : src_port;
        v6 = is_v6;
    }
    static FlowKey of(const wire::Endpoint& src, const wire::Endpoint& dst, bool& from_lo) {
        return of(!src.addr.is_v4(), src.addr.bytes().data(), src.port, dst.addr.bytes().data(), dst.port, from_lo);
    }

    // 64 bits of hash, for the flow table.
    std::uint64_t hash() const {
        const std::uint64_t ports = std::uint64_t{lo_port} << 16 | hi_port | std::uint64_t{v6} << 32;
        if (!v6) {
            // IPv4, every packet's case: the two addresses are one word.
            const std::uint64_t both = std::uint64_t{lo_v4()} << 32 | hi_v4();
            return mix64(both * 0x9E3779B97F4A7C15ULL ^ ports);
        }
        std::uint64_t a[2], b[2];
        std::memcpy(a, lo.data(), 16);
        std::memcpy(b, hi.data(), 16);
        const std::uint64_t l = (a[0] ^ std::rotl(a[1], 32)) * 0x9E3779B97F4A7C15ULL;
        const std::uint64_t r = std::rotl((b[0] ^ std::rotl(b[1], 32)) * 0xC2B2AE3D27D4EB4FULL, 29);
        return mix64((l + r) ^ ports);
    }

    // Which shard of `--threads` owns the flow (AnalyzerShard::owner_of):
    // read from every frame of the capture by every shard, so cheaper than
    // hash(). XOR is the same both ways, so the endpoints need no order
    // (quick_shard_hash reads it straight from a frame); a multiply spreads
    // it into the upper half, which owner_of takes.
    std::uint64_t shard_hash() const {
        std::uint64_t a[2], b[2];
        std::memcpy(a, lo.data(), 16);
        std::memcpy(b, hi.data(), 16);
        return shard_hash_of(a[0] ^ a[1] ^ b[0] ^ b[1], lo_port ^ hi_port);
    }
    // The same from the two addresses folded (IPv4's two words XORed) and the ports XORed.
    static std::uint64_t shard_hash_of(std::uint64_t addresses, std::uint32_t ports) {
        return (addresses ^ std::uint64_t{ports} << 32) * 0x9E3779B97F4A7C15ULL;
    }

    std::uint32_t lo_v4() const { return word(lo); }
    std::uint32_t hi_v4() const { return word(hi); }
    // Whether a flow's stored key is this one (IPv6: `v6_pair` is its side-table entry).
    bool matches_v4(const StoredKey& s) const { return s.lo == lo_v4() && s.hi == hi_v4() && ports_match(s); }
    bool ports_match(const StoredKey& s) const { return s.lo_port == lo_port && s.hi_port == hi_port; }

    wire::Endpoint lo_endpoint() const { return endpoint(lo, lo_port); }
    wire::Endpoint hi_endpoint() const { return endpoint(hi, hi_port); }

private:
    static std::uint32_t word(const std::array<std::uint8_t, 16>& a) {
        std::uint32_t w;
        std::memcpy(&w, a.data(), 4);
        return w;
    }
    wire::Endpoint endpoint(const std::array<std::uint8_t, 16>& a, std::uint16_t port) const {
        const auto* b = reinterpret_cast<const std::byte*>(a.data());
        return {v6 ? wire::IpAddress::v6(b) : wire::IpAddress::v4(b), port};
    }
};

} // namespace teardown::analyze
