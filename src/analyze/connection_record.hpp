#pragma once
// What the analyzer says about one connection when it is over (or when the
// capture ends): the VOCABULARY.md record, and Zeek's conn_state and
// history for pipelines built on conn.log.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "core/vocabulary.hpp"
#include "wire/ip_address.hpp"

namespace teardown::analyze {

struct DirectionCounts {
    std::uint64_t packets{0};
    std::uint64_t bytes{0};        // TCP payload bytes, retransmissions included
    std::uint64_t ip_bytes{0};     // IP datagram bytes as on the wire
    std::uint32_t retransmissions{0};
    std::uint32_t fins{0};
    std::uint32_t rsts{0};
};

struct ConnectionRecord {
    wire::Endpoint client;
    wire::Endpoint server;
    bool client_inferred{false};   // no SYN seen: the client was guessed (by the SYN-ACK or the ports)
    Instant start{};
    Instant end{};                 // the last packet
    DirectionCounts from_client;
    DirectionCounts from_server;
    Ending ending{Ending::open};
    Closer closer{Closer::none};
    std::optional<Pattern> pattern;
    std::optional<Side> reset_by;
    std::optional<ResetPhase> reset_phase;
    AnomalySet anomalies;
    std::optional<Instant> first_fin;
    std::optional<Instant> last_ack;     // the ACK that left both FINs acknowledged
    std::optional<Duration> close_duration;       // first FIN to last ACK
    std::optional<Duration> half_close_duration;  // first FIN to the second
    // Wireshark's tcp.completeness: 1 SYN, 2 SYN-ACK, 4 an ACK (any segment but a SYN with ACK set),
    // 8 data, 16 FIN, 32 RST.
    std::uint8_t completeness{0};
    std::string_view zeek_conn_state;  // S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH (static text)
    std::string zeek_history;
    std::uint64_t id{0};           // the order connections began in, from 1
    // Zeek-style "C..." identifier, stable for a capture.
    static constexpr std::size_t k_uid_length = 18;
    using Uid = std::array<char, k_uid_length>;
    Uid uid() const { return uid_of(uid_seed(), id); }
    // What the uid hashes besides the id, so that it can be made once the id is known.
    std::uint64_t uid_seed() const;
    static Uid uid_of(std::uint64_t seed, std::uint64_t id);
};

} // namespace teardown::analyze
