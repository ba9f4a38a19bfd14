#pragma once
// TIME-WAIT without the connection: what RFC 9293 §3.10.7.4, RFC 7323 §5
// (PAWS), RFC 1337 and RFC 6191 need to answer a segment for a closed
// 4-tuple, in 64 bytes (Linux keeps a 256-byte tw_sock; a full endpoint
// costs us ~800 bytes and Linux 2368). The Stack moves a connection here
// when it enters TIME-WAIT with no descriptor left, and frees the endpoint.
#include <array>
#include <cstdint>

#include "core/seq_num.hpp"
#include "core/time.hpp"
#include "engine/segment.hpp"
#include "wire/ip_address.hpp"

namespace teardown::engine {

struct TimeWait {
    std::array<std::uint8_t, 16> local_addr{};
    std::array<std::uint8_t, 16> remote_addr{};
    Instant deadline{Instant::never()};  // 2 MSL from the last FIN we acknowledged
    SeqNum snd_nxt;                      // past our FIN: the sequence number of every ACK we send
    SeqNum rcv_nxt;                      // past the peer's FIN
    std::uint32_t ts_recent{0};          // RFC 7323: the peer's latest TSval, when `timestamps`
    std::uint32_t next{0};               // the table's own link (expiry order, or the free list)
    std::uint16_t local_port{0};
    std::uint16_t remote_port{0};
    std::uint16_t window{0};             // the window field our ACKs carry, as the connection last sent it
    std::uint8_t flags{0};
    std::uint8_t wscale : 4 {0};         // our RFC 7323 shift: RCV.WND = window << wscale
    std::uint8_t lane : 4 {0};           // the table's: which expiry list, by TIME-WAIT length

    // `flags`: the connection's facts and socket options TIME-WAIT still obeys.
    static constexpr std::uint8_t k_v6 = 1;
    static constexpr std::uint8_t k_timestamps = 2;       // agreed, and TS.Recent fresh enough for PAWS
    static constexpr std::uint8_t k_rfc1337 = 4;
    static constexpr std::uint8_t k_rfc5961 = 8;
    static constexpr std::uint8_t k_drop_without_timestamps = 16;
    static constexpr std::uint8_t k_dead = 32;            // the table's: left, waiting to be unlinked

    bool has(std::uint8_t f) const { return (flags & f) != 0; }
    std::uint32_t rcv_wnd() const { return std::uint32_t{window} << wscale; }
    wire::FourTuple tuple() const;
    void set_tuple(const wire::FourTuple& t);
};
static_assert(sizeof(TimeWait) == 64, "a TIME-WAIT entry is one cache line");

// What a segment for a 4-tuple in TIME-WAIT asks of the Stack.
enum class TimeWaitVerdict : std::uint8_t {
    drop,           // silently: out-of-window RST, RST under RFC 1337, no timestamps once agreed
    ack,            // an old duplicate or out-of-window segment: ACK to say where we are
    ack_restart,    // the peer's FIN again (our ACK was lost): ACK and wait 2 MSL afresh
    absorb,         // a bare ACK at RCV.NXT: nothing to say
    paws_ack,       // an old duplicate by its timestamp (RFC 7323 §5): ACK and drop
    challenge,      // a SYN that may not reuse the 4-tuple, or an inexact RST (RFC 5961 §3-4)
    reuse,          // a SYN that may start a new incarnation (RFC 6191, RFC 9293 §3.10.7.4)
    kill,           // a RST at RCV.NXT with RFC 1337 off
    reset,          // a SYN in the window with RFC 5961 off: RST, then CLOSED (RFC 793 §3.9)
};

TimeWaitVerdict judge_time_wait_segment(const TimeWait& tw, const Segment& seg);

// The ACK TIME-WAIT sends: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with
// timestamps (TSval from our millisecond clock, TSecr = TS.Recent) when agreed.
Segment time_wait_ack(const TimeWait& tw, Instant now);

// RFC 7323 §4.3: a segment at or below Last.ACK.sent (RCV.NXT here) with a
// TSval at least TS.Recent becomes TS.Recent, so the next ACK echoes it.
void remember_time_wait_timestamp(TimeWait& tw, const Segment& seg);

} // namespace teardown::engine
