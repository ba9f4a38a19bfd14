#pragma once
// How an endpoint behaves where the RFCs leave a choice: timers, buffer
// sizes, option layout. Two profiles: `rfc` follows RFC 9293 and RFC 6298's
// numbers; `linux` follows what a Linux host does by default.
#include <algorithm>
#include <cstdint>

#include "core/time.hpp"
#include "wire/tcp_repr.hpp"

namespace teardown::engine {

enum class Profile : std::uint8_t { rfc, linux };

struct Config {
    Profile profile{Profile::rfc};
    // TIME_WAIT lasts 2 x MSL (RFC 9293 §3.4.2 takes MSL = 2 minutes; Linux holds TIME_WAIT 60 s).
    Duration msl{Duration::seconds(120)};
    // RFC 6298 §2: RTO starts at 1 s, and stays within [rto_min, rto_max].
    Duration rto_initial{Duration::seconds(1)};
    Duration rto_min{Duration::seconds(1)};
    Duration rto_max{Duration::seconds(60)};
    std::uint16_t mss{1460};                 // what we announce and send at most
    std::uint32_t send_buffer{256 * 1024};
    std::uint32_t receive_buffer{256 * 1024};
    // RFC 7323: window scaling and timestamps, offered on our SYN and used
    // when the peer offers them too.
    bool window_scaling{true};
    bool timestamps{true};
    // RFC 2018 selective acknowledgments: offered on our SYN (Linux offers
    // them too); once agreed, our ACKs report out-of-order data and the
    // peer's reports steer our retransmissions to the holes.
    bool sack{true};
    // RFC 7323 §3.2: once timestamps are agreed, a non-RST segment without
    // them SHOULD be dropped. Linux accepts it.
    bool drop_without_timestamps{true};
    // RFC 9293 §3.8.6.3 delayed ACK: ACK every second segment, or after this long (zero: ACK at once).
    Duration delayed_ack{Duration::zero()};
    // A FIN arriving in ESTABLISHED is ACKed after `delayed_ack` rather than
    // at once, as Linux does on an interactive connection: an application
    // that answers the FIN with close() within it sends its own FIN on that
    // ACK, the 3-way close (FIN, FIN+ACK, ACK). Off: a FIN is ACKed at once.
    bool delay_fin_ack{false};
    // RFC 1122 §4.2.3.5 R2: retransmissions of a SYN, and of data or a FIN,
    // before the connection is given up with ETIMEDOUT (Linux's
    // tcp_syn_retries and tcp_retries2 defaults).
    std::uint32_t syn_retries{6};
    std::uint32_t data_retries{15};
    // R1 (RFC 1122 §4.2.3.5: at least 3 retransmissions): the application
    // hears of the trouble (AppEvent::delivery_problem), the connection goes on.
    std::uint32_t retries1{3};
    // An orphan's FIN (FIN-WAIT-1, CLOSING, LAST-ACK after close()) is
    // retransmitted at most this often: nobody is left to wait for it
    // (Linux's tcp_orphan_retries, whose 0 means 8).
    std::uint32_t orphan_retries{8};
    // RFC 1337: a RST does not cut TIME-WAIT short (its hazards TIME-WAIT
    // assassination); off, RFC 9293's rule closes on it.
    bool rfc1337{true};
    // An orphan (closed by its application) waits this long in FIN-WAIT-2 for
    // the peer's FIN (Linux's tcp_fin_timeout; TCP_LINGER2 per connection).
    // Negative (TCP_LINGER2 < 0): an orphan in FIN-WAIT-2 is reset at once.
    Duration fin_wait_2_timeout{Duration::seconds(60)};
    // RFC 5681 §3.1 initial congestion window in segments; zero: RFC 5681's
    // rule (2 to 4 segments by MSS). Linux starts with 10 (RFC 6928).
    std::uint32_t initial_window_segments{0};
    // RFC 5961 (folded into RFC 9293 §3.10.7.4): a RST or SYN that is in the
    // window but not exact gets a challenge ACK. Off, RFC 793's rule resets on it.
    bool rfc5961{true};
    // RFC 5961 §7: challenge ACKs are rate-limited so they cannot be turned
    // into an amplifier: one per connection per interval (Linux's
    // tcp_invalid_ratelimit), and at most `challenge_ack_limit` a second for
    // the whole Stack (tcp_challenge_ack_limit: RFC 5961's suggested 1000 in
    // the rfc profile; unlimited, as Linux now ships, in the linux profile).
    // The Stack-wide settings here and below are read from the Config the
    // Stack was made with; a socket's own Config does not change them.
    Duration challenge_ack_interval{Duration::millis(500)};
    std::uint32_t challenge_ack_limit{1000};
    // RFC 4987 §3.6: a listener whose queue of half-open requests is full
    // answers further SYNs with SYN cookies and keeps no state for them
    // (Linux's tcp_syncookies = 1). Off, the oldest request gives way to
    // the newest. Stack-wide.
    bool syn_cookies{true};
    // TIME-WAIT entries a Stack keeps (Linux's tcp_max_tw_buckets). When it
    // is full, either the oldest entry gives way to the new one (it has had
    // most of its 2 MSL), or, as Linux does, the closing connection skips
    // TIME-WAIT. Both count TCPTimeWaitOverflow.
    enum class TimeWaitOverflow : std::uint8_t { evict_oldest, skip_time_wait };
    std::uint32_t max_time_wait{1u << 20};
    TimeWaitOverflow time_wait_overflow{TimeWaitOverflow::evict_oldest};
    // RFC 1122 §4.2.3.6 keep-alives (SO_KEEPALIVE, off by default): after
    // keep_idle without hearing from the peer, probe every keep_interval;
    // keep_count probes unanswered and the connection is dropped (Linux's defaults).
    bool keepalive{false};
    Duration keep_idle{Duration::seconds(7200)};
    Duration keep_interval{Duration::seconds(75)};
    std::uint32_t keep_count{9};
    // RFC 9293 §3.8.3 USER TIMEOUT (RFC 5482, TCP_USER_TIMEOUT): data left
    // unacknowledged this long closes the connection; zero: only R2 applies.
    Duration user_timeout{Duration::zero()};
    // RFC 9293 §3.7.4 Nagle: hold a small segment while data is unacknowledged (TCP_NODELAY turns it off).
    bool nagle{false};
    // Our window scale: the smallest that lets the field cover the receive
    // buffer (RFC 7323 §2.3), or Linux's fixed 7.
    std::uint8_t window_shift() const {
        if (profile == Profile::linux) return 7;
        std::uint8_t shift = 0;
        while (shift < 14 && (receive_buffer >> shift) > 65535) ++shift;
        return shift;
    }
    wire::OptionLayout option_layout{wire::OptionLayout::rfc};
    // RFC 6528: the secret in the initial sequence number function. Fixed by
    // default so runs repeat; a real deployment sets its own.
    std::uint64_t isn_secret{0x7465617264'6f776eULL};
    // Ephemeral ports (Linux's ip_local_port_range default).
    std::uint16_t ephemeral_first{32768};
    std::uint16_t ephemeral_last{60999};

    static Config rfc() { return Config{}; }
    static Config linux() {
        Config c;
        c.profile = Profile::linux;
        c.msl = Duration::seconds(30);  // TCP_TIMEWAIT_LEN is 60 s
        c.rto_min = Duration::millis(200);
        c.rto_max = Duration::seconds(120);
        c.delayed_ack = Duration::millis(40);  // TCP_DELACK_MIN
        c.initial_window_segments = 10;
        c.nagle = true;  // Linux sockets start without TCP_NODELAY
        c.drop_without_timestamps = false;
        c.challenge_ack_limit = 0x7FFFFFFF;
        c.max_time_wait = 131072;  // this machine's tcp_max_tw_buckets
        c.time_wait_overflow = TimeWaitOverflow::skip_time_wait;
        c.option_layout = wire::OptionLayout::linux;
        return c;
    }
    Duration time_wait() const { return msl * 2; }
    // The initial congestion window for a sender MSS of `smss`.
    std::uint32_t initial_window(std::uint32_t smss) const {
        if (initial_window_segments > 0) return initial_window_segments * smss;
        // RFC 5681 §3.1: IW = min(4*SMSS, max(2*SMSS, 4380)).
        return std::min<std::uint32_t>(4u * smss, std::max<std::uint32_t>(2u * smss, 4380u));
    }
};

} // namespace teardown::engine
