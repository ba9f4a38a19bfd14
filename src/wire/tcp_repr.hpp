#pragma once
// The plain, owning description of a TCP header (smoltcp's "repr"): what the
// engine reasons about and what builders emit. Parsing bytes into one is done
// by TcpView (tcp.hpp); emitting one into a buffer by emit_tcp (tcp.hpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/seq_num.hpp"

namespace teardown::wire {

// RFC 9293 §3.1 control bits, plus RFC 3168's ECE and CWR.
class TcpFlags {
public:
    static constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08,
                                  ack = 0x10, urg = 0x20, ece = 0x40, cwr = 0x80;
    constexpr TcpFlags() = default;
    constexpr explicit TcpFlags(std::uint8_t bits) : bits_{bits} {}
    constexpr std::uint8_t bits() const { return bits_; }
    constexpr bool has(std::uint8_t f) const { return (bits_ & f) == f; }
    constexpr bool fin_set() const { return bits_ & fin; }
    constexpr bool syn_set() const { return bits_ & syn; }
    constexpr bool rst_set() const { return bits_ & rst; }
    constexpr bool psh_set() const { return bits_ & psh; }
    constexpr bool ack_set() const { return bits_ & ack; }
    constexpr bool urg_set() const { return bits_ & urg; }
    constexpr TcpFlags with(std::uint8_t f) const { return TcpFlags{static_cast<std::uint8_t>(bits_ | f)}; }
    constexpr TcpFlags without(std::uint8_t f) const { return TcpFlags{static_cast<std::uint8_t>(bits_ & ~f)}; }
    // tcpdump's form: "S", "S.", "F.", "R", "P.", "." (ACK alone), "none".
    std::string to_tcpdump() const;
    constexpr bool operator==(const TcpFlags&) const = default;

private:
    std::uint8_t bits_{0};
};

struct SackBlock {
    SeqNum left;
    SeqNum right;
    bool operator==(const SackBlock&) const = default;
};

// RFC 7323 §3.
struct Timestamps {
    std::uint32_t val{0};
    std::uint32_t ecr{0};
    bool operator==(const Timestamps&) const = default;
};

struct UnknownOption {
    std::uint8_t kind{0};
    std::vector<std::uint8_t> data;  // the option's bytes after kind and length
    bool operator==(const UnknownOption&) const = default;
};

// The order emit_tcp writes options in. Both are valid; peers and scripts
// written against a given stack expect its order on SYNs.
enum class OptionLayout : std::uint8_t {
    // MSS, NOP NOP SACK-permitted, NOP NOP TS, NOP window-scale, NOP NOP SACK
    rfc,
    // Linux's: MSS, SACK-permitted TS (or NOP NOP TS / NOP NOP SACK-permitted), NOP window-scale
    linux,
};

struct TcpOptions {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;
    bool sack_permitted{false};
    std::optional<Timestamps> timestamps;
    std::vector<SackBlock> sack_blocks;    // at most 4 fit (3 with timestamps)
    std::vector<UnknownOption> unknown;    // kept, emitted after the known ones
    bool operator==(const TcpOptions&) const = default;
};

struct TcpRepr {
    std::uint16_t src_port{0};
    std::uint16_t dst_port{0};
    SeqNum seq;
    SeqNum ack;
    TcpFlags flags;
    std::uint16_t window{0};   // the raw 16-bit field, before any scaling
    std::uint16_t urgent{0};
    TcpOptions options;
    bool operator==(const TcpRepr&) const = default;

    // Sequence space the segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4).
    std::uint32_t seq_len(std::size_t payload_len) const {
        return static_cast<std::uint32_t>(payload_len) + (flags.syn_set() ? 1u : 0u) + (flags.fin_set() ? 1u : 0u);
    }
};

} // namespace teardown::wire
