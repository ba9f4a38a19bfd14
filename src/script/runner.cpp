// The timeline of a script run. The clock only moves forward, to the next
// line's time or to the engine's next deadline, whichever comes first; a
// segment the engine sends is held until an outbound line claims it, and one
// that no line claims before the next inbound packet or call is a failure.
#include <algorithm>
#include <cstdio>

#include "script/run.hpp"

namespace teardown::script {

std::string seconds_text(std::int64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us) / 1e6);
    return buf;
}

namespace {

// TCP_INFO's tcpi_state names (Linux include/net/tcp_states.h).
constexpr std::pair<std::string_view, TcpState> k_tcpi_states[]{
    {"TCP_ESTABLISHED", TcpState::established}, {"TCP_SYN_SENT", TcpState::syn_sent},
    {"TCP_SYN_RECV", TcpState::syn_received},   {"TCP_FIN_WAIT1", TcpState::fin_wait_1},
    {"TCP_FIN_WAIT2", TcpState::fin_wait_2},    {"TCP_TIME_WAIT", TcpState::time_wait},
    {"TCP_CLOSE", TcpState::closed},            {"TCP_CLOSE_WAIT", TcpState::close_wait},
    {"TCP_LAST_ACK", TcpState::last_ack},       {"TCP_LISTEN", TcpState::listen},
    {"TCP_CLOSING", TcpState::closing},
};

std::optional<TcpState> tcpi_state_named(std::string_view name) {
    for (const auto& [n, s] : k_tcpi_states)
        if (n == name) return s;
    return std::nullopt;
}

std::string linux_state_name(TcpState state) {
    for (const auto& [n, s] : k_tcpi_states)
        if (s == state) return std::string{n};
    return "?";
}

Where where_of(const Line& l) {
    return std::visit([](const auto& x) { return x.where; }, l);
}

const Time& time_of(const Line& l) {
    return std::visit([](const auto& x) -> const Time& { return x.time; }, l);
}

} // namespace

Run::Run(const Script& script, const RunOptions& options) : script_{script}, options_{options}, base_{options.config} {
    for (const auto* list : {&script.lenient, &options.lenient}) {
        for (const auto& l : *list) {
            if (l == "win") lenient_.window = true;
            if (l == "options") lenient_.options = true;
        }
    }
    if (script.ip_version == "ipv6") {
        local_addr_ = *wire::IpAddress::parse("2001:db8::1");
        remote_addr_ = *wire::IpAddress::parse("2001:db8::2");
    } else {
        // ipv4 and ipv4-mapped-ipv6 both put IPv4 on the wire.
        local_addr_ = *wire::IpAddress::parse("192.168.0.1");
        remote_addr_ = *wire::IpAddress::parse("192.0.2.1");
    }
    outcome_.notes.reserve(script.ignored_flags.size());
    for (const auto& f : script.ignored_flags) note("flag " + f + " ignored");
}

void Run::note(const std::string& text) {
    if (std::find(outcome_.notes.begin(), outcome_.notes.end(), text) == outcome_.notes.end())
        outcome_.notes.push_back(text);
}

// A line of the trace: where in the script (nothing for what the engine does on its own), when, what.
void Run::log(const Where& where, const std::string& text) {
    if (!options_.trace) return;
    const std::string at = where.line > 0 ? ":" + std::to_string(where.line) : "";
    outcome_.trace.push_back(script_.file + at + " " + at_text(now_) + " " + text);
}

std::string Run::at_text(Instant t) const { return seconds_text(t.nanos() / 1000); }

bool Run::fail(const Where& where, const std::string& what) {
    if (!failure_) failure_ = script_.file + ":" + std::to_string(where.line) + ": " + what;
    return false;
}

engine::Stack& Run::stack() {
    if (!stack_) stack_ = std::make_unique<engine::Stack>(base_);
    return *stack_;
}

void Run::collect() {
    if (!stack_) return;
    if (current_ && stack_->state_of(*current_)) current_connected_ = true;
    for (auto& s : stack_->take_segments()) {
        if (options_.trace) log({}, "engine sends " + to_script_text(s, base_.option_layout, base_seq_));
        sent_.push_back({now_, std::move(s)});
    }
    stack_->take_changes();
    stack_->take_events();
}

// One engine deadline, if it is due before anything else: false when there is none.
bool Run::fire_next_timer() {
    if (!stack_) return false;
    const Instant d = stack_->next_deadline();
    if (d.is_never()) return false;
    now_ = std::max(now_, d);
    stack_->on_timer(now_);
    collect();
    return true;
}

// Lets the engine's timers run up to `t`. A segment sent on the way that no
// outbound line claimed is unexpected (packetdrill's rule too).
bool Run::advance_to(Instant t, const Where& where) {
    for (;;) {
        if (!sent_.empty()) {
            const Sent& s = sent_.front();
            return fail(where, "the engine sent a segment the script does not expect, at " + at_text(s.at) +
                                   "\n  actual:   " + to_script_text(s.segment, base_.option_layout, base_seq_));
        }
        if (!stack_ || stack_->next_deadline() > t) break;
        fire_next_timer();
        if (!retry_blocked()) return false;
    }
    now_ = std::max(now_, t);
    return true;
}

TcpState Run::current_state() const {
    if (!stack_ || !current_) return TcpState::closed;
    if (auto s = stack_->state_of(*current_)) return *s;
    // Before its first connection the script talks to the listener; after, to a connection that is gone.
    return !current_connected_ && stack_->listening_on(current_->local) ? TcpState::listen : TcpState::closed;
}

bool Run::packet(const PacketLine& line, std::int64_t t_us) {
    if (!line.inbound) return expect(line, t_us);
    if (!advance_to(Instant::from_micros(t_us), line.where)) return false;
    if (!current_) {
        return fail(line.where, "a packet arrives before any socket listens or connects, so it has no connection to go to");
    }
    const engine::Segment seg = inbound_segment(line, *current_, base_seq_);
    log(line.where, "inject " + to_script_text(line));
    stack().on_segment(now_, seg);
    collect();
    return retry_blocked();
}

bool Run::expect(const PacketLine& line, std::int64_t t_us) {
    const std::int64_t tol = script_.tolerance_usecs;
    std::int64_t lo = t_us - tol;
    std::int64_t hi = t_us + tol;
    if (line.time.range_end) {
        const std::int64_t end = line.time.kind == Time::Kind::relative ? last_us_ + *line.time.range_end
                                                                          : *line.time.range_end;
        hi = end + tol;
    }
    const bool any_time = line.time.kind == Time::Kind::any;
    // The engine may send it at any moment up to the window's end.
    while (sent_.empty()) {
        const Instant d = stack_ ? stack_->next_deadline() : Instant::never();
        if (d.is_never() || (!any_time && d > Instant::from_micros(hi))) {
            return fail(line.where, "the script expects a segment by " + seconds_text(hi) +
                                        " but the engine sent nothing" + "\n  expected: " + to_script_text(line) +
                                        "\n  engine state: " + linux_state_name(current_state()));
        }
        fire_next_timer();
        if (!retry_blocked()) return false;
    }
    Sent s = std::move(sent_.front());
    sent_.pop_front();
    // A SYN from the engine starts a connection: its sequence numbers count from here.
    if (s.segment.tcp.flags.syn_set()) base_seq_.local_iss = s.segment.tcp.seq;
    learn_ts_offset(line, s.segment, base_seq_);
    const std::int64_t sent_us = s.at.nanos() / 1000;
    const std::string both = "\n  expected: " + to_script_text(line) +
                             "\n  actual:   " + to_script_text(s.segment, base_.option_layout, base_seq_);
    if (!any_time && (sent_us < lo || sent_us > hi)) {
        return fail(line.where, "the segment came at " + seconds_text(sent_us) + ", the script expects it in [" +
                                    seconds_text(std::max<std::int64_t>(lo, 0)) + ", " + seconds_text(hi) + "]" + both);
    }
    if (auto what = mismatch(line, s.segment, base_.option_layout, base_seq_, lenient_); !what.empty())
        return fail(line.where, what + both);
    log(line.where, "matched " + to_script_text(line));
    now_ = std::max(now_, s.at);
    return true;
}

bool Run::shell(const ShellLine& line) {
    if (!line.sysctl) {
        ++outcome_.shell_skipped;
        note("shell command skipped: " + line.command);
        return true;
    }
    const auto& [name, value] = *line.sysctl;
    switch (apply_sysctl(base_, name, value)) {
    case SysctlResult::applied:
        log(line.where, "sysctl " + name + "=" + value);
        return true;  // sockets created from now on take it; the ones already open keep theirs
    case SysctlResult::bad_value:
        return fail(line.where, "sysctl " + name + " cannot take the value '" + value + "'");
    case SysctlResult::unknown:
        ++outcome_.shell_skipped;
        note("sysctl " + name + " is not in the table; skipped");
        return true;
    }
    return true;
}

// A code block's asserts: tcpi_state against the connection the script
// talks to, counters by their nstat names against the Stack's MIB. Other
// names (Python over TCP_INFO, as Linux-written scripts have) are skipped;
// a name nstat would print but the engine does not count is an error, so a
// typo cannot pass for a check.
bool Run::code(const CodeBlock& block) {
    std::size_t checked = 0;
    for (const auto& [name, value] : block.asserts) {
        if (name == "tcpi_state") {
            const auto want = tcpi_state_named(value);
            if (!want) return fail(block.where, "unknown tcpi_state " + value);
            const TcpState got = current_state();
            if (got != *want)
                return fail(block.where, "tcpi_state is " + linux_state_name(got) + ", the script asserts " + value);
            log(block.where, "tcpi_state is " + linux_state_name(got));
            ++checked;
            continue;
        }
        if (const auto counter = engine::counter_named(name)) {
            const std::uint64_t got = stack_ ? stack_->counter(*counter) : 0;
            if (std::to_string(got) != value)
                return fail(block.where, name + " is " + std::to_string(got) + ", the script asserts " + value);
            log(block.where, name + " is " + value);
            ++checked;
            continue;
        }
        if (name.starts_with("Tcp")) return fail(block.where, "unknown counter " + name);
    }
    if (checked < block.asserts.size() || block.asserts.empty()) {
        ++outcome_.code_skipped;
        note("%{ }% code other than tcpi_state and counter asserts skipped");
    }
    return true;
}

bool Run::line(const Line& l) {
    const Time& t = time_of(l);
    std::int64_t t_us = last_us_;
    switch (t.kind) {
    case Time::Kind::absolute: t_us = t.usecs; break;
    case Time::Kind::relative: t_us = last_us_ + t.usecs; break;
    case Time::Kind::any: t_us = std::max(last_us_, now_.nanos() / 1000); break;
    }
    if (t_us < last_us_ && t.kind == Time::Kind::absolute)
        return fail(where_of(l), "time " + seconds_text(t_us) + " goes back before the previous line's " +
                                     seconds_text(last_us_));
    bool ok = std::visit(
        [&](const auto& x) -> bool {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, PacketLine>) return packet(x, t_us);
            else if constexpr (std::is_same_v<T, CallLine>) return call(x, t_us);
            else if constexpr (std::is_same_v<T, ShellLine>) {
                if (!advance_to(Instant::from_micros(t_us), x.where)) return false;
                return shell(x);
            } else {
                if (!advance_to(Instant::from_micros(t_us), x.where)) return false;
                return code(x);
            }
        },
        l);
    last_us_ = t_us;
    ++outcome_.lines_run;
    return ok;
}

Outcome Run::go() {
    bool ok = true;
    for (const auto& l : script_.lines) {
        if (!line(l)) {
            ok = false;
            break;
        }
    }
    if (ok) ok = finish_blocked();
    outcome_.passed = ok && !failure_;
    if (failure_) outcome_.failure = *failure_;
    outcome_.virtual_seconds = now_.seconds();
    return std::move(outcome_);
}

Outcome run_script(const Script& script, const RunOptions& options) {
    return Run{script, options}.go();
}

} // namespace teardown::script
