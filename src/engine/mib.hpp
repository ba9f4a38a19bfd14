#pragma once
// What a Stack counts, named after Linux's SNMP MIB (RFC 4022's tcp group
// and Linux's TcpExt, as `nstat` and /proc/net/netstat print them) where
// Linux counts the same thing, so an engineer reads them as they would a
// host's. The few Linux has no word for carry names of our own, marked below.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace teardown::engine {

enum class Counter : std::uint8_t {
    // RFC 4022 / Linux "Tcp:".
    active_opens,      // SYN sent by connect()
    passive_opens,     // SYN taken by a listener
    attempt_fails,     // SYN-SENT or SYN-RECEIVED straight to CLOSED
    estab_resets,      // ESTABLISHED or CLOSE-WAIT straight to CLOSED
    in_segs,
    out_segs,
    retrans_segs,      // segments sent again (timeout, fast retransmit, SACK hole)
    out_rsts,          // every RST sent, by connections and for segments that matched none
    in_rsts,           // RSTs that closed a connection (ours: Linux keeps no such count)
    // Linux "TcpExt:".
    listen_overflows,  // a handshake completed on a full accept queue
    listen_drops,      // SYNs a listener dropped
    abort_on_close,    // close() with unread data: RST (RFC 2525 §2.17)
    abort_on_data,     // data after close, close() with SO_LINGER {1, 0}, or an orphan's FIN
                       // ACKed under a negative TCP_LINGER2: RST (Linux counts all three here)
    abort_on_linger,   // close() in FIN-WAIT-2 under a negative TCP_LINGER2: RST
    abort_on_timeout,  // given up: retransmission limit, user timeout, keep-alive
    time_wait_overflow,  // TIME-WAIT table full (see Config::time_wait_overflow)
    challenge_ack,     // challenge ACKs sent (RFC 5961 §3, §4, §5)
    syn_challenge,     // of which for a SYN in a synchronized state (RFC 5961 §4)
    ack_skipped_challenge,  // challenge ACKs not sent: over a rate limit (RFC 5961 §7)
    time_waited,       // "TW": TIME-WAIT entries that ran their 2 MSL out
    tw_recycled,       // "TWRecycled": a SYN reused a TIME-WAIT 4-tuple (RFC 6191)
    tw_killed,         // "TWKilled": a RST ended TIME-WAIT (RFC 1337 off)
    paws_estab,        // "PAWSEstab": old duplicates dropped by PAWS (RFC 7323 §5)
    timeouts,          // "TCPTimeouts": retransmission timer expiries
    syn_retrans,       // "TCPSynRetrans": SYN and SYN-ACK retransmissions
    fast_retrans,      // "TCPFastRetrans"
    keep_alive,        // "TCPKeepAlive": keep-alive probes sent
    req_q_full_drop,   // "TCPReqQFullDrop": a SYN-RECEIVED request dropped on a full SYN queue
    syncookies_sent,   // "SyncookiesSent": SYN-ACKs carrying a cookie (RFC 4987 §3.6)
    syncookies_recv,   // "SyncookiesRecv": ACKs whose cookie checked out
    syncookies_failed, // "SyncookiesFailed": ACKs at a cookie-sending listener whose cookie did not
    // Ours: Linux has no counter for these.
    retransmit_advice,  // R1 reached (RFC 1122 §4.2.3.5): the application was told
    time_wait_late,     // late segments absorbed in TIME-WAIT (late_segment_after_close)
    connections_freed,  // endpoints whose memory went back to the Stack
};

inline constexpr std::array<std::string_view, 34> k_counter_names{
    "ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "InSegs", "OutSegs", "RetransSegs", "OutRsts", "InRsts",
    "ListenOverflows", "ListenDrops", "TCPAbortOnClose", "TCPAbortOnData", "TCPAbortOnLinger", "TCPAbortOnTimeout",
    "TCPTimeWaitOverflow", "TCPChallengeACK", "TCPSYNChallenge", "TCPACKSkippedChallenge", "TW", "TWRecycled",
    "TWKilled", "PAWSEstab", "TCPTimeouts", "TCPSynRetrans", "TCPFastRetrans", "TCPKeepAlive", "TCPReqQFullDrop",
    "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed",
    "TeardownRetransmitAdvice", "TeardownTimeWaitLate", "TeardownConnectionsFreed"};

static_assert(static_cast<std::size_t>(Counter::connections_freed) + 1 == k_counter_names.size());

// The group nstat puts a counter in: "Tcp" for RFC 4022's, "TcpExt" for the rest.
constexpr std::string_view counter_group(Counter c) {
    return c <= Counter::in_rsts ? std::string_view{"Tcp"} : std::string_view{"TcpExt"};
}
constexpr std::string_view counter_name(Counter c) { return k_counter_names[static_cast<std::size_t>(c)]; }

// A counter by its name, with or without nstat's group prefix ("TW", "TcpExtTW").
constexpr std::optional<Counter> counter_named(std::string_view name) {
    for (std::size_t i = 0; i < k_counter_names.size(); ++i) {
        const auto c = static_cast<Counter>(i);
        const std::string_view group = counter_group(c);
        std::string_view bare = name;
        if (bare.size() > group.size() && bare.substr(0, group.size()) == group &&
            bare.substr(group.size()) == k_counter_names[i])
            return c;
        if (bare == k_counter_names[i]) return c;
    }
    return std::nullopt;
}

struct Mib {
    std::array<std::uint64_t, k_counter_names.size()> values{};
    std::uint64_t operator[](Counter c) const { return values[static_cast<std::size_t>(c)]; }
    void add(Counter c, std::uint64_t n = 1) { values[static_cast<std::size_t>(c)] += n; }
};

} // namespace teardown::engine
