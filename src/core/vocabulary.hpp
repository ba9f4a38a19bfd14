#pragma once
// The termination vocabulary (shared/design/VOCABULARY.md): the words every
// part uses to say how a connection changed state and how it ended. Their text
// forms are the snake_case names below, used in JSON, CSV and tables.
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/text_append.hpp"
#include "core/time.hpp"

namespace teardown {

// RFC 9293 §3.3.2, the eleven states.
enum class TcpState : std::uint8_t {
    closed, listen, syn_sent, syn_received, established,
    fin_wait_1, fin_wait_2, close_wait, closing, last_ack, time_wait,
};
inline constexpr std::array<std::string_view, 11> k_tcp_state_names{
    "closed", "listen", "syn_sent", "syn_received", "established",
    "fin_wait_1", "fin_wait_2", "close_wait", "closing", "last_ack", "time_wait"};

// RFC 9293 §3.3.1: states in which both sides have exchanged SYNs.
constexpr bool is_synchronized(TcpState s) {
    return s != TcpState::closed && s != TcpState::listen && s != TcpState::syn_sent &&
           s != TcpState::syn_received;
}

enum class Cause : std::uint8_t {
    app_connect, app_listen, app_close, app_shutdown_write, app_abort,
    recv_syn, recv_syn_ack, recv_ack, recv_fin, recv_fin_ack, recv_rst, send_rst,
    timer_2msl, timer_fin_wait_2, retransmit_limit, user_timeout, keepalive_failed,
    syn_reuse_time_wait,
};
inline constexpr std::array<std::string_view, 18> k_cause_names{
    "app_connect", "app_listen", "app_close", "app_shutdown_write", "app_abort",
    "recv_syn", "recv_syn_ack", "recv_ack", "recv_fin", "recv_fin_ack", "recv_rst", "send_rst",
    "timer_2msl", "timer_fin_wait_2", "retransmit_limit", "user_timeout", "keepalive_failed",
    "syn_reuse_time_wait"};

enum class Ending : std::uint8_t {
    graceful, graceful_unconfirmed, reset, refused, timeout, half_open, unanswered, open,
};
inline constexpr std::array<std::string_view, 8> k_ending_names{
    "graceful", "graceful_unconfirmed", "reset", "refused", "timeout", "half_open",
    "unanswered", "open"};

// Who sent the first FIN or RST; the client is the side that sent the first SYN.
enum class Closer : std::uint8_t { client, server, both, none };
inline constexpr std::array<std::string_view, 4> k_closer_names{"client", "server", "both", "none"};

// The side of a connection a packet or an action belongs to.
enum class Side : std::uint8_t { client, server };
inline constexpr std::array<std::string_view, 2> k_side_names{"client", "server"};
constexpr Side other(Side s) { return s == Side::client ? Side::server : Side::client; }

enum class Pattern : std::uint8_t { four_way, three_way, simultaneous };
inline constexpr std::array<std::string_view, 3> k_pattern_names{"four_way", "three_way", "simultaneous"};

enum class ResetPhase : std::uint8_t { handshake, established, closing, time_wait };
inline constexpr std::array<std::string_view, 4> k_reset_phase_names{
    "handshake", "established", "closing", "time_wait"};

enum class Anomaly : std::uint8_t {
    fin_retransmitted, final_ack_lost, data_after_fin, half_close_data, rst_after_fin,
    rst_out_of_window, rst_in_window_inexact, challenge_ack, rst_in_time_wait,
    tuple_reused_within_2msl, late_segment_after_close, unacked_data_at_reset,
    unread_data_at_close, zero_window_at_close, keepalive_probes, syn_retransmitted,
};
inline constexpr std::array<std::string_view, 16> k_anomaly_names{
    "fin_retransmitted", "final_ack_lost", "data_after_fin", "half_close_data", "rst_after_fin",
    "rst_out_of_window", "rst_in_window_inexact", "challenge_ack", "rst_in_time_wait",
    "tuple_reused_within_2msl", "late_segment_after_close", "unacked_data_at_reset",
    "unread_data_at_close", "zero_window_at_close", "keepalive_probes", "syn_retransmitted"};

namespace detail {
template <typename E> constexpr const auto& names_of();
template <> constexpr const auto& names_of<TcpState>() { return k_tcp_state_names; }
template <> constexpr const auto& names_of<Cause>() { return k_cause_names; }
template <> constexpr const auto& names_of<Ending>() { return k_ending_names; }
template <> constexpr const auto& names_of<Closer>() { return k_closer_names; }
template <> constexpr const auto& names_of<Side>() { return k_side_names; }
template <> constexpr const auto& names_of<Pattern>() { return k_pattern_names; }
template <> constexpr const auto& names_of<ResetPhase>() { return k_reset_phase_names; }
template <> constexpr const auto& names_of<Anomaly>() { return k_anomaly_names; }
} // namespace detail

// The snake_case text form of any vocabulary word.
template <typename E>
constexpr std::string_view to_string(E e) requires requires { detail::names_of<E>(); } {
    const auto& names = detail::names_of<E>();
    auto i = static_cast<std::size_t>(e);
    return i < names.size() ? names[i] : std::string_view{"?"};
}

// The word for a text form, or nothing when the text is not one of them.
template <typename E>
constexpr std::optional<E> parse_word(std::string_view text) requires requires { detail::names_of<E>(); } {
    const auto& names = detail::names_of<E>();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == text) return static_cast<E>(i);
    return std::nullopt;
}

// A set of anomalies, iterated in vocabulary order: one bit each, in the
// smallest word that holds them (the analyzer keeps one per connection).
class AnomalySet {
    using Bits = std::conditional_t<(k_anomaly_names.size() <= 16), std::uint16_t, std::uint32_t>;
    static_assert(k_anomaly_names.size() <= 32);

public:
    void add(Anomaly a) { bits_ = static_cast<Bits>(bits_ | bit(a)); }
    bool has(Anomaly a) const { return (bits_ & bit(a)) != 0; }
    bool empty() const { return bits_ == 0; }
    std::size_t size() const { return static_cast<std::size_t>(std::popcount(bits_)); }
    AnomalySet& operator|=(const AnomalySet& o) {
        bits_ = static_cast<Bits>(bits_ | o.bits_);
        return *this;
    }
    bool operator==(const AnomalySet&) const = default;

    template <typename F> void for_each(F&& f) const {
        // Set bit by set bit, lowest first: most records have none or one.
        for (auto b = static_cast<std::uint64_t>(bits_); b != 0; b &= b - 1) f(static_cast<Anomaly>(std::countr_zero(b)));
    }
    // "a,b,c" in vocabulary order; "" for none.
    std::string to_string(char sep = ',') const;
    void append_to(std::string& out, char sep) const;
    // The same at a cursor with room for k_max_text.
    void write_to(TextCursor& c, char sep) const;
    static constexpr std::size_t k_max_text = [] {
        std::size_t n = 0;
        for (const auto name : k_anomaly_names) n += name.size() + 1;
        return n;
    }();

private:
    static Bits bit(Anomaly a) { return static_cast<Bits>(Bits{1} << static_cast<unsigned>(a)); }
    Bits bits_{0};
};

// Every state change any part reports: engine, simulator, analyzer, monitor.
struct StateChange {
    TcpState from{TcpState::closed};
    TcpState to{TcpState::closed};
    Cause cause{Cause::app_connect};
    Instant at{};
    bool operator==(const StateChange&) const = default;
};

} // namespace teardown
