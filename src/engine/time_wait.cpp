#include "engine/time_wait.hpp"

namespace teardown::engine {

using wire::TcpFlags;

wire::FourTuple TimeWait::tuple() const {
    const auto address = [this](const std::array<std::uint8_t, 16>& bytes) {
        return has(k_v6) ? wire::IpAddress::v6(bytes) : wire::IpAddress::v4(reinterpret_cast<const std::byte*>(bytes.data()));
    };
    return {{address(local_addr), local_port}, {address(remote_addr), remote_port}};
}

void TimeWait::set_tuple(const wire::FourTuple& t) {
    local_addr = t.local.addr.bytes();
    remote_addr = t.remote.addr.bytes();
    local_port = t.local.port;
    remote_port = t.remote.port;
    flags = static_cast<std::uint8_t>(t.local.addr.is_v4() ? flags & ~k_v6 : flags | k_v6);
}

namespace {
bool newer(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }
} // namespace

// The order follows Linux's tcp_timewait_state_process, which is RFC 9293's
// TIME-WAIT processing with RFC 7323, RFC 5961 and RFC 6191 folded in.
TimeWaitVerdict judge_time_wait_segment(const TimeWait& tw, const Segment& seg) {
    const auto& t = seg.tcp;
    const auto& f = t.flags;
    const bool ts_both = tw.has(TimeWait::k_timestamps) && t.options.timestamps.has_value();
    if (tw.has(TimeWait::k_timestamps) && !t.options.timestamps && !f.rst_set() &&
        tw.has(TimeWait::k_drop_without_timestamps) && !(f.syn_set() && !f.ack_set()))
        return TimeWaitVerdict::drop;  // RFC 7323 §3.2

    // The window left in TIME-WAIT is the one we last announced; a zero
    // window takes only RCV.NXT itself (RFC 9293 §3.10.7.4, first).
    const std::uint32_t wnd = tw.window == 0 ? 1u : tw.rcv_wnd();
    const bool in_window = t.seq.in_range(tw.rcv_nxt, tw.rcv_nxt + wnd);

    if (f.syn_set() && !f.rst_set()) {
        // A new connection's SYN. RFC 6191 §2: with timestamps on both, a
        // newer TSval (or an equal one and a higher sequence number) shows
        // it is not an old duplicate; without, only a sequence number above
        // RCV.NXT (RFC 9293 §3.10.7.4, after RFC 1122 §4.2.2.13) keeps the
        // two incarnations' sequence spaces apart.
        const bool reusable = ts_both ? newer(t.options.timestamps->val, tw.ts_recent) ||
                                            (t.options.timestamps->val == tw.ts_recent && t.seq > tw.rcv_nxt)
                                      : t.seq > tw.rcv_nxt;
        if (!f.ack_set() && reusable) return TimeWaitVerdict::reuse;
        // Otherwise a SYN in a synchronized state: RFC 5961 §4 challenges
        // it whatever its sequence number; RFC 793 §3.9 resets on one in the
        // window and ACKs one outside it.
        if (tw.has(TimeWait::k_rfc5961)) return TimeWaitVerdict::challenge;
        return in_window ? TimeWaitVerdict::reset : TimeWaitVerdict::ack;
    }

    // RFC 7323 §5.3: an older TSval than TS.Recent is an old duplicate (RSTs exempt).
    if (ts_both && !f.rst_set() && newer(tw.ts_recent, t.options.timestamps->val)) return TimeWaitVerdict::paws_ack;

    if (f.rst_set()) {
        if (!in_window) return TimeWaitVerdict::drop;
        if (t.seq != tw.rcv_nxt && tw.has(TimeWait::k_rfc5961)) return TimeWaitVerdict::challenge;
        // RFC 1337 §3: a RST must not cut TIME-WAIT short.
        return tw.has(TimeWait::k_rfc1337) ? TimeWaitVerdict::drop : TimeWaitVerdict::kill;
    }
    // Eighth step in TIME-WAIT: the peer's FIN again, so our last ACK was lost.
    if (f.fin_set() && t.seq + static_cast<std::uint32_t>(seg.payload.size()) + 1u == tw.rcv_nxt)
        return TimeWaitVerdict::ack_restart;
    // A bare ACK at RCV.NXT says nothing new; answering it could start an
    // ACK loop with a peer that is in TIME-WAIT too.
    if (t.seq == tw.rcv_nxt && seg.payload.empty() && !f.fin_set()) return TimeWaitVerdict::absorb;
    return TimeWaitVerdict::ack;
}

Segment time_wait_ack(const TimeWait& tw, Instant now) {
    const wire::FourTuple tuple = tw.tuple();
    Segment s;
    s.src = tuple.local.addr;
    s.dst = tuple.remote.addr;
    s.tcp.src_port = tuple.local.port;
    s.tcp.dst_port = tuple.remote.port;
    s.tcp.seq = tw.snd_nxt;
    s.tcp.ack = tw.rcv_nxt;
    s.tcp.flags = TcpFlags{TcpFlags::ack};
    s.tcp.window = tw.window;
    if (tw.has(TimeWait::k_timestamps))
        s.tcp.options.timestamps = wire::Timestamps{static_cast<std::uint32_t>(now.nanos() / 1'000'000), tw.ts_recent};
    return s;
}

void remember_time_wait_timestamp(TimeWait& tw, const Segment& seg) {
    const auto& ts = seg.tcp.options.timestamps;
    if (!tw.has(TimeWait::k_timestamps) || !ts || tw.rcv_nxt < seg.tcp.seq) return;
    if (newer(tw.ts_recent, ts->val)) return;
    tw.ts_recent = ts->val;
}

} // namespace teardown::engine
