#include "script/sysctl_table.hpp"

#include <array>
#include <charconv>
#include <functional>
#include <optional>

namespace teardown::script {

namespace {

std::optional<std::int64_t> number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '"')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '"')) text.remove_suffix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

struct Entry {
    std::string_view name;
    std::string_view sets;
    bool (*apply)(engine::Config&, std::int64_t);
};

constexpr std::array k_table{
    Entry{"net.ipv4.tcp_rfc1337", "RFC 1337: a RST does not end TIME-WAIT (0 or 1)",
          [](engine::Config& c, std::int64_t v) { c.rfc1337 = v != 0; return v == 0 || v == 1; }},
    Entry{"teardown.rfc5961", "RFC 5961 challenge ACKs for inexact RST and SYN (0: RFC 793's reset)",
          [](engine::Config& c, std::int64_t v) { c.rfc5961 = v != 0; return v == 0 || v == 1; }},
    Entry{"teardown.time_wait_ms", "TIME-WAIT length in milliseconds (2 x MSL)",
          [](engine::Config& c, std::int64_t v) { c.msl = Duration::micros(v * 500); return v > 0; }},
    Entry{"net.ipv4.tcp_fin_timeout", "FIN-WAIT-2 timeout of an orphan, seconds",
          [](engine::Config& c, std::int64_t v) { c.fin_wait_2_timeout = Duration::seconds(v); return v > 0; }},
    Entry{"net.ipv4.tcp_syn_retries", "SYN retransmissions before ETIMEDOUT",
          [](engine::Config& c, std::int64_t v) { c.syn_retries = static_cast<std::uint32_t>(v); return v >= 0 && v <= 127; }},
    Entry{"net.ipv4.tcp_retries2", "data and FIN retransmissions before ETIMEDOUT (R2)",
          [](engine::Config& c, std::int64_t v) { c.data_retries = static_cast<std::uint32_t>(v); return v >= 0 && v <= 255; }},
    Entry{"net.ipv4.tcp_retries1", "retransmissions before the application hears of trouble (R1)",
          [](engine::Config& c, std::int64_t v) { c.retries1 = static_cast<std::uint32_t>(v); return v >= 0 && v <= 255; }},
    Entry{"net.ipv4.tcp_orphan_retries", "FIN retransmissions of an orphan before it is dropped (0 means 8)",
          [](engine::Config& c, std::int64_t v) { c.orphan_retries = v == 0 ? 8u : static_cast<std::uint32_t>(v); return v >= 0 && v <= 255; }},
    Entry{"net.ipv4.tcp_invalid_ratelimit", "least milliseconds between one connection's challenge ACKs",
          [](engine::Config& c, std::int64_t v) { c.challenge_ack_interval = Duration::millis(v); return v >= 0; }},
    Entry{"net.ipv4.tcp_challenge_ack_limit", "challenge ACKs a second for the whole stack",
          [](engine::Config& c, std::int64_t v) { c.challenge_ack_limit = static_cast<std::uint32_t>(v); return v >= 0 && v <= 0x7FFFFFFF; }},
    Entry{"net.ipv4.tcp_max_tw_buckets", "TIME-WAIT entries the stack keeps",
          [](engine::Config& c, std::int64_t v) { c.max_time_wait = static_cast<std::uint32_t>(v); return v >= 0 && v <= 0x7FFFFFFF; }},
    Entry{"teardown.time_wait_overflow", "a full TIME-WAIT table: 0 evicts the oldest entry, 1 skips TIME-WAIT (Linux)",
          [](engine::Config& c, std::int64_t v) {
              c.time_wait_overflow = v == 0 ? engine::Config::TimeWaitOverflow::evict_oldest
                                            : engine::Config::TimeWaitOverflow::skip_time_wait;
              return v == 0 || v == 1;
          }},
    Entry{"net.ipv4.tcp_timestamps", "RFC 7323 timestamps (0 off)",
          [](engine::Config& c, std::int64_t v) { c.timestamps = v != 0; return v >= 0 && v <= 2; }},
    Entry{"net.ipv4.tcp_window_scaling", "RFC 7323 window scaling (0 off)",
          [](engine::Config& c, std::int64_t v) { c.window_scaling = v != 0; return v == 0 || v == 1; }},
    Entry{"net.ipv4.tcp_keepalive_time", "keep-alive idle time, seconds",
          [](engine::Config& c, std::int64_t v) { c.keep_idle = Duration::seconds(v); return v > 0; }},
    Entry{"net.ipv4.tcp_keepalive_intvl", "keep-alive probe interval, seconds",
          [](engine::Config& c, std::int64_t v) { c.keep_interval = Duration::seconds(v); return v > 0; }},
    Entry{"net.ipv4.tcp_keepalive_probes", "keep-alive probes before ETIMEDOUT",
          [](engine::Config& c, std::int64_t v) { c.keep_count = static_cast<std::uint32_t>(v); return v > 0 && v <= 127; }},
    Entry{"net.ipv4.tcp_rto_min_us", "minimum RTO, microseconds",
          [](engine::Config& c, std::int64_t v) { c.rto_min = Duration::micros(v); return v > 0; }},
};

} // namespace

SysctlResult apply_sysctl(engine::Config& config, std::string_view name, std::string_view value) {
    for (const auto& e : k_table) {
        if (e.name != name) continue;
        const auto v = number(value);
        if (!v) return SysctlResult::bad_value;
        engine::Config changed = config;
        if (!e.apply(changed, *v)) return SysctlResult::bad_value;
        config = changed;
        return SysctlResult::applied;
    }
    return SysctlResult::unknown;
}

std::string sysctl_table_text() {
    std::string out;
    for (const auto& e : k_table) out += std::string{e.name} + ": " + std::string{e.sets} + "\n";
    return out;
}

} // namespace teardown::script
