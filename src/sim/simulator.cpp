#include "sim/simulator.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <tuple>

#include "engine/stack.hpp"

namespace teardown::sim {

std::string_view to_string(Transmission::Fate f) {
    switch (f) {
    case Transmission::Fate::delivered: return "delivered";
    case Transmission::Fate::lost: return "lost";
    case Transmission::Fate::cut: return "cut";
    case Transmission::Fate::no_host: return "no_host";
    case Transmission::Fate::host_down: return "host_down";
    }
    return "?";
}

namespace {

using engine::Errno;
using engine::Stack;

// splitmix64: a small generator whose sequence is the same on every
// platform and library, so a seed names one run everywhere.
class Random {
public:
    explicit Random(std::uint64_t seed) : s_{seed * 0x9E3779B97F4A7C15ULL + 1} {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    bool chance(double p) { return p > 0 && unit() < p; }
    Duration upto(Duration d) {
        if (d <= Duration::zero()) return Duration::zero();
        return Duration::nanos(static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(d.count_nanos() + 1)));
    }

private:
    std::uint64_t s_;
};

SegmentKind kind_of(const engine::Segment& s) {
    const auto& f = s.tcp.flags;
    if (f.rst_set()) return SegmentKind::rst;
    if (f.syn_set()) return f.ack_set() ? SegmentKind::syn_ack : SegmentKind::syn;
    if (f.fin_set()) return SegmentKind::fin;
    if (!s.payload.empty()) return SegmentKind::data;
    return SegmentKind::ack;
}

using Direction = std::tuple<wire::IpAddress, std::uint16_t, wire::IpAddress, std::uint16_t>;
Direction direction_of(const engine::Segment& s) { return {s.src, s.tcp.src_port, s.dst, s.tcp.dst_port}; }
Direction reverse_of(const engine::Segment& s) { return {s.dst, s.tcp.dst_port, s.src, s.tcp.src_port}; }

struct AppState {
    std::size_t step{0};
    int fd{-1};         // the current connection
    int listener{-1};
    std::uint64_t progress{0};  // bytes or SYNs of the current step so far
    Instant step_started{Instant::never()};
    Instant next_due{};         // a flood's next SYN
    bool waiting{false};        // the current step has begun
    bool down{false};           // crashed, not yet rebooted
    bool silent{false};
};

struct Host {
    const HostSpec* spec{nullptr};
    std::unique_ptr<Stack> stack;
    AppState app;
    HostResult result;
};

struct Event {
    Instant at;
    std::uint64_t order;
    enum class Kind : std::uint8_t { arrival, wake } kind;
    std::uint64_t index;  // transmission id, or host index
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : order > o.order; }
};

class Simulator {
public:
    Simulator(const Scenario& s, const Schedule& forced) : sc_{s}, forced_{forced}, rng_{s.seed} {
        for (const auto& spec : s.hosts) {
            Host h;
            h.spec = &spec;
            h.stack = std::make_unique<Stack>(config_of(spec));
            hosts_.push_back(std::move(h));
        }
        matched_.assign(s.impairments.size(), 0);
        link_free_.assign(hosts_.size() * hosts_.size(), k_run_start);
    }

    Run go() {
        run_.start = k_run_start;
        now_ = k_run_start;
        for (std::size_t h = 0; h < hosts_.size(); ++h) wake(static_cast<int>(h), now_);
        for (const auto& p : sc_.partitions) {
            // Wake everyone at the edges so that timers and apps look again.
            for (std::size_t h = 0; h < hosts_.size(); ++h) {
                wake(static_cast<int>(h), now_ + p.at);
                if (p.heal) wake(static_cast<int>(h), now_ + *p.heal);
            }
        }
        const Instant limit = k_run_start + sc_.until;
        for (;;) {
            Instant next = queue_.empty() ? Instant::never() : queue_.top().at;
            for (const auto& h : hosts_)
                if (!h.app.down) next = std::min(next, h.stack->next_deadline());
            if (next.is_never()) {
                run_.quiet = true;
                break;
            }
            if (next > limit) break;
            now_ = next;
            while (!queue_.empty() && queue_.top().at <= now_) {
                const Event e = queue_.top();
                queue_.pop();
                if (e.kind == Event::Kind::arrival) arrive(e.index);
                else run_app(static_cast<int>(e.index));
            }
            for (std::size_t h = 0; h < hosts_.size(); ++h) {
                Host& host = hosts_[h];
                if (host.app.down || host.stack->next_deadline() > now_) continue;
                trace(TraceEntry::Kind::timer, static_cast<int>(h));
                host.stack->on_timer(now_);
                collect(static_cast<int>(h));
            }
            for (std::size_t h = 0; h < hosts_.size(); ++h) run_app(static_cast<int>(h));
        }
        run_.end = now_;
        for (auto& h : hosts_) {
            h.result.endpoints_left = h.app.down ? 0 : h.stack->connections() + h.stack->time_wait_entries();
            h.result.time_wait_left = h.app.down ? 0 : h.stack->time_wait_entries();
            h.result.timers_left = h.app.down ? 0 : h.stack->timers();
            h.result.mib = h.stack->mib();
            h.result.app_finished = h.app.step >= h.spec->app.size();
            h.result.steps_done = h.app.step;
            run_.hosts.push_back(h.result);
        }
        return std::move(run_);
    }

private:
    // Each scenario's hosts draw their ISNs (RFC 6528) from a secret of their
    // own, so that two scenarios' connections never share sequence numbers.
    engine::Config config_of(const HostSpec& spec) const {
        engine::Config c = spec.config;
        std::uint64_t h = c.isn_secret;
        for (const char ch : sc_.name + "/" + spec.name) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001B3ULL;
        c.isn_secret = h;
        return c;
    }

    void wake(int host, Instant at) { queue_.push({at, order_++, Event::Kind::wake, static_cast<std::uint64_t>(host)}); }

    void trace(TraceEntry::Kind kind, int host, std::string text = {}, std::uint64_t transmission = 0) {
        TraceEntry t;
        t.kind = kind;
        t.at = now_;
        t.host = host;
        t.text = std::move(text);
        t.transmission = transmission;
        run_.trace.push_back(std::move(t));
    }

    int host_at(const wire::IpAddress& a) const {
        for (std::size_t i = 0; i < hosts_.size(); ++i)
            if (hosts_[i].spec->address == a) return static_cast<int>(i);
        return -1;
    }

    bool partitioned(int a, int b) const {
        const Duration t = now_ - k_run_start;
        for (const auto& p : sc_.partitions) {
            if (t < p.at || (p.heal && t >= *p.heal)) continue;
            if (p.host.empty()) return true;
            const int h = sc_.host_index(p.host);
            if (h == a || h == b) return true;
        }
        return vanished_.count(a) > 0 || vanished_.count(b) > 0;
    }

    // Everything a host's Stack has to say after a call, a segment or a timer.
    void collect(int h) {
        Host& host = hosts_[static_cast<std::size_t>(h)];
        host.stack->take_segments(segments_);
        for (auto& s : segments_) transmit(h, std::move(s), false);
        for (const auto& ch : host.stack->take_changes()) {
            TraceEntry t;
            t.kind = TraceEntry::Kind::change;
            t.at = ch.change.at;
            t.host = h;
            t.tuple = ch.tuple;
            t.change = ch.change;
            run_.trace.push_back(std::move(t));
        }
        (void)host.stack->take_events();  // the app polls its descriptors itself
    }

    void transmit(int from, engine::Segment seg, bool forged) {
        Transmission t;
        t.id = run_.transmissions.size();
        t.from = from;
        t.to = host_at(seg.dst);
        t.sent = now_;
        t.forged = forged;
        t.segment = std::move(seg);
        // Segments between hosts only: a flood's backscatter is not part of any close.
        if (closing_ && !forged && t.to >= 0) t.closing_ordinal = static_cast<std::int32_t>(closing_count_++);
        Duration extra{};
        bool duplicate = false;
        Duration copy_extra{};
        std::string why;

        // The explorer's schedule first, then the scenario's impairments, then chance.
        bool drop = false;
        for (const auto& [ordinal, is_drop] : forced_.actions) {
            if (t.closing_ordinal < 0 || static_cast<std::uint32_t>(t.closing_ordinal) != ordinal) continue;
            if (is_drop) {
                drop = true;
                why = "explored: lost";
            } else {
                extra += sc_.link.delay * 2 + sc_.link.jitter * 2 + Duration::millis(1);
                why = "explored: held back";
            }
        }
        if (!forged) {
            SegmentKind kind = kind_of(t.segment);
            // The FIN each direction sent, so that the ACK of it can be named.
            if (t.segment.tcp.flags.fin_set())
                fin_end_[direction_of(t.segment)] = t.segment.tcp.seq + t.segment.seq_len();
            if (kind == SegmentKind::ack) {
                const auto fin = fin_end_.find(reverse_of(t.segment));
                if (fin != fin_end_.end() && t.segment.tcp.ack == fin->second) kind = SegmentKind::ack_of_fin;
            }
            for (std::size_t i = 0; i < sc_.impairments.size(); ++i) {
                const Impairment& im = sc_.impairments[i];
                const bool plain_ack = im.kind == SegmentKind::ack && kind == SegmentKind::ack_of_fin;
                if (im.kind != SegmentKind::any && im.kind != kind && !plain_ack) continue;
                if (!im.from.empty() && sc_.host_index(im.from) != from) continue;
                const std::uint32_t n = ++matched_[i];
                if (n < im.nth || (im.count != 0 && n >= im.nth + im.count)) continue;
                const std::string which = "[[impair]] at line " + std::to_string(im.line);
                switch (im.action) {
                case Impairment::Action::drop: drop = true; why = which; break;
                case Impairment::Action::delay: extra += im.by; why = which + ": delayed"; break;
                case Impairment::Action::duplicate:
                    duplicate = true;
                    copy_extra = im.by;
                    why = which + ": duplicated";
                    break;
                }
            }
        }
        if (!drop && rng_.chance(sc_.link.loss)) {
            drop = true;
            why = "random loss";
        }
        if (rng_.chance(sc_.link.reorder)) {
            extra += sc_.link.delay + sc_.link.jitter * 2 + Duration::millis(1);
            if (why.empty()) why = "reordered";
        }
        if (rng_.chance(sc_.link.duplicate)) {
            duplicate = true;
            if (why.empty()) why = "duplicated";
        }
        // The link: serialisation behind what this direction is still sending, then the delay.
        Instant departs = now_;
        if (t.to >= 0 && sc_.link.bandwidth_bps > 0) {
            Instant& free = link_free_[static_cast<std::size_t>(from) * hosts_.size() + static_cast<std::size_t>(t.to)];
            const auto bits = (t.segment.payload.size() + 40) * 8;
            const auto ns = static_cast<std::int64_t>(bits * 1'000'000'000ull / sc_.link.bandwidth_bps);
            departs = std::max(now_, free) + Duration::nanos(ns);
            free = departs;
        }
        t.arrives = departs + sc_.link.delay + rng_.upto(sc_.link.jitter) + extra;
        t.why = why;
        if (t.to < 0) t.fate = Transmission::Fate::no_host;
        else if (partitioned(from, t.to)) {
            t.fate = Transmission::Fate::cut;
            t.why = "partition";
        } else if (drop) t.fate = Transmission::Fate::lost;
        trace(TraceEntry::Kind::send, from, {}, t.id);
        if (t.fate == Transmission::Fate::delivered)
            queue_.push({t.arrives, order_++, Event::Kind::arrival, t.id});
        Transmission copy;
        if (duplicate && t.fate == Transmission::Fate::delivered) copy = t;
        run_.transmissions.push_back(std::move(t));
        if (duplicate && copy.fate == Transmission::Fate::delivered) {
            copy.id = run_.transmissions.size();
            copy.copy = true;
            copy.closing_ordinal = -1;
            copy.arrives = copy.arrives + copy_extra + rng_.upto(sc_.link.jitter) + Duration::micros(1);
            trace(TraceEntry::Kind::send, from, {}, copy.id);
            queue_.push({copy.arrives, order_++, Event::Kind::arrival, copy.id});
            run_.transmissions.push_back(std::move(copy));
        }
    }

    void arrive(std::uint64_t id) {
        Transmission& t = run_.transmissions[id];
        Host& host = hosts_[static_cast<std::size_t>(t.to)];
        if (host.app.down) {
            t.fate = Transmission::Fate::host_down;
            return;
        }
        trace(TraceEntry::Kind::deliver, t.to, {}, id);
        host.stack->on_segment(now_, t.segment);
        collect(t.to);
    }

    void note(int h, std::string text) { trace(TraceEntry::Kind::note, h, std::move(text)); }

    void call(int h, const std::string& text) {
        trace(TraceEntry::Kind::call, h, text);
    }

    void saw_error(int h, Errno e, const std::string& during) {
        Host& host = hosts_[static_cast<std::size_t>(h)];
        if (e == Errno::none) return;
        host.result.last_error = e;
        note(h, during + ": " + std::string{engine::to_string(e)});
    }

    void start_closing() {
        closing_ = true;
    }

    // Runs the host's application until a step has to wait.
    void run_app(int h) {
        Host& host = hosts_[static_cast<std::size_t>(h)];
        AppState& a = host.app;
        for (int guard = 0; guard < 1'000'000; ++guard) {
            if (a.silent || a.step >= host.spec->app.size()) return;
            if (a.down && host.spec->app[a.step].op != AppStep::Op::wait && host.spec->app[a.step].op != AppStep::Op::reboot) return;
            if (!step(h, host.spec->app[a.step])) return;
            ++a.step;
            a.progress = 0;
            a.waiting = false;
            a.step_started = Instant::never();
        }
    }

    // One step: true when it is done, false when it must wait.
    bool step(int h, const AppStep& st) {
        Host& host = hosts_[static_cast<std::size_t>(h)];
        AppState& a = host.app;
        Stack& stack = *host.stack;
        const wire::IpAddress& self = host.spec->address;
        const bool first = !a.waiting;
        a.waiting = true;
        if (first) a.step_started = now_;
        switch (st.op) {
        case AppStep::Op::listen: {
            call(h, "listen(" + std::to_string(st.port) + ")");
            const auto l = stack.listen(now_, {self, st.port}, static_cast<int>(st.count));
            collect(h);
            if (!l.ok()) saw_error(h, l.error, "listen");
            else a.listener = l.fd;
            return true;
        }
        case AppStep::Op::accept: {
            const auto c = stack.accept(a.listener);
            if (c.error == Errno::eagain) return false;
            if (!c.ok()) {
                saw_error(h, c.error, "accept");
                return true;
            }
            a.fd = c.fd;
            call(h, "accept() = " + std::to_string(c.fd));
            return true;
        }
        case AppStep::Op::connect: {
            if (first) {
                const int peer = sc_.host_index(st.host);
                const wire::Endpoint remote{hosts_[static_cast<std::size_t>(peer)].spec->address, st.port};
                call(h, "connect(" + remote.to_string() + ")");
                const auto c = stack.connect(now_, {self, st.from_port}, remote);
                collect(h);
                if (!c.ok()) {
                    saw_error(h, c.error, "connect");
                    a.fd = -1;
                    return true;
                }
                a.fd = c.fd;
            }
            const auto s = stack.state(a.fd);
            if (s == TcpState::established || s == TcpState::close_wait) return true;
            if (s == TcpState::closed || !s) {
                saw_error(h, stack.socket_error(a.fd), "connect");
                return true;
            }
            return false;
        }
        case AppStep::Op::send: {
            if (first) call(h, "send(" + std::to_string(st.count) + " bytes)");
            while (a.progress < st.count) {
                std::array<std::byte, 16384> buf{};
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st.count - a.progress));
                for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::byte>((a.progress + i) % 251);
                const auto r = stack.send(now_, a.fd, std::span{buf.data(), n});
                collect(h);
                if (!r.ok() && r.error != Errno::eagain) {
                    saw_error(h, r.error, "send");
                    return true;
                }
                if (r.bytes == 0) return false;
                a.progress += r.bytes;
                host.result.bytes_sent += r.bytes;
            }
            return true;
        }
        case AppStep::Op::read:
        case AppStep::Op::read_eof: {
            const bool to_eof = st.op == AppStep::Op::read_eof;
            for (;;) {
                if (!to_eof && a.progress >= st.count) return true;
                std::array<std::byte, 16384> buf{};
                const std::size_t want = to_eof ? buf.size() : static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st.count - a.progress));
                const auto r = stack.recv(a.fd, std::span{buf.data(), want});
                collect(h);
                if (r.error == Errno::eagain) return false;
                if (!r.ok()) {
                    saw_error(h, r.error, "read");
                    return true;
                }
                if (r.bytes == 0) {
                    call(h, "read() = 0 (the peer's FIN)");
                    return true;
                }
                a.progress += r.bytes;
                host.result.bytes_read += r.bytes;
            }
        }
        case AppStep::Op::shutdown: {
            start_closing();
            call(h, "shutdown(SHUT_WR)");
            const Errno e = stack.shutdown(now_, a.fd, engine::ShutdownHow::write);
            collect(h);
            saw_error(h, e, "shutdown");
            return true;
        }
        case AppStep::Op::close: {
            start_closing();
            call(h, "close()");
            const Errno e = stack.close(now_, a.fd);
            collect(h);
            saw_error(h, e, "close");
            return true;
        }
        case AppStep::Op::abort: {
            start_closing();
            call(h, "close() with SO_LINGER {1, 0}");
            stack.set_linger(a.fd, true, 0);
            const Errno e = stack.close(now_, a.fd);
            collect(h);
            saw_error(h, e, "close");
            return true;
        }
        case AppStep::Op::wait:
            if (now_ >= a.step_started + st.duration) return true;
            if (first) wake(h, a.step_started + st.duration);
            return false;
        case AppStep::Op::crash:
            start_closing();
            note(h, "the host crashes: its connections are gone without a word");
            host.stack = std::make_unique<Stack>(config_of(*host.spec));
            a.down = true;
            a.fd = -1;
            a.listener = -1;
            return true;
        case AppStep::Op::reboot:
            note(h, "the host is up again, knowing no connection");
            a.down = false;
            return true;
        case AppStep::Op::vanish:
            start_closing();
            note(h, "the host is cut off the network for good");
            vanished_.insert(h);
            return true;
        case AppStep::Op::silent:
            note(h, "the application goes silent: it will never read or close again");
            a.silent = true;
            return true;
        case AppStep::Op::flood: {
            const int target = sc_.host_index(st.host);
            if (first)
                note(h, "floods " + std::to_string(st.count) + (st.flood_acks ? " blind ACKs" : " SYNs") +
                            " with forged sources at " + st.host + ":" + std::to_string(st.port));
            else if (now_ < a.next_due) return false;
            // One SYN every 100 us from a TEST-NET-3 address (RFC 5737), none of which answers.
            engine::Segment syn;  // or a blind ACK guessing at a SYN cookie
            const std::uint64_t r = rng_.next();
            const std::array<std::uint8_t, 4> src{203, 0, 113, static_cast<std::uint8_t>(1 + r % 254)};
            syn.src = wire::IpAddress::v4(reinterpret_cast<const std::byte*>(src.data()));
            syn.dst = hosts_[static_cast<std::size_t>(target)].spec->address;
            syn.tcp.src_port = static_cast<std::uint16_t>(1024 + (r >> 8) % 64000);
            syn.tcp.dst_port = st.port;
            syn.tcp.seq = SeqNum{static_cast<std::uint32_t>(r >> 32)};
            syn.tcp.window = 64240;
            if (st.flood_acks) {
                syn.tcp.flags = wire::TcpFlags{wire::TcpFlags::ack};
                syn.tcp.ack = SeqNum{static_cast<std::uint32_t>(rng_.next())};
            } else {
                syn.tcp.flags = wire::TcpFlags{wire::TcpFlags::syn};
                syn.tcp.options.mss = 1460;
            }
            transmit(h, std::move(syn), true);
            if (++a.progress >= st.count) return true;
            a.next_due = now_ + Duration::micros(100);
            wake(h, a.next_due);
            return false;
        }
        }
        return true;
    }

    const Scenario& sc_;
    const Schedule& forced_;
    Random rng_;
    std::vector<Host> hosts_;
    Run run_;
    Instant now_{};
    std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
    std::uint64_t order_{0};
    std::vector<std::uint32_t> matched_;
    std::vector<Instant> link_free_;
    std::vector<engine::Segment> segments_;
    std::set<int> vanished_;
    std::map<Direction, SeqNum> fin_end_;
    bool closing_{false};
    std::uint32_t closing_count_{0};
};

} // namespace

Run simulate(const Scenario& scenario, const Schedule& forced) { return Simulator{scenario, forced}.go(); }

} // namespace teardown::sim
