#include "sim/simulator.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <tuple>

#include "engine/stack.hpp"
#include "sim/app_runner.hpp"
#include "sim/impairments.hpp"

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

struct Host {
    const HostSpec* spec{nullptr};
    std::unique_ptr<Stack> stack;
    std::unique_ptr<AppRunner> app;
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
    Simulator(const Scenario& s, const Schedule& forced) : sc_{s}, forced_{forced}, link_{s, k_run_start} {
        for (const auto& spec : s.hosts) {
            Host h;
            h.spec = &spec;
            h.stack = std::make_unique<Stack>(config_of(spec));
            h.app = std::make_unique<AppRunner>(spec.app);
            hosts_.push_back(std::move(h));
        }
        for (std::size_t i = 0; i < hosts_.size(); ++i) views_.emplace_back(*this, static_cast<int>(i));
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
                if (!h.app->down()) next = std::min(next, h.stack->next_deadline());
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
                if (host.app->down() || host.stack->next_deadline() > now_) continue;
                trace(TraceEntry::Kind::timer, static_cast<int>(h));
                host.stack->on_timer(now_);
                collect(static_cast<int>(h));
            }
            for (std::size_t h = 0; h < hosts_.size(); ++h) run_app(static_cast<int>(h));
        }
        run_.end = now_;
        for (const auto& h : hosts_) run_.hosts.push_back(host_result(*h.stack, *h.app));
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
        run_.trace.push_back(trace_entry(kind, now_, host, std::move(text), transmission));
    }

    int host_at(const wire::IpAddress& a) const {
        for (std::size_t i = 0; i < hosts_.size(); ++i)
            if (hosts_[i].spec->address == a) return static_cast<int>(i);
        return -1;
    }

    bool partitioned(int a, int b) const {
        return link_.partitioned(now_, a, b) || vanished_.count(a) > 0 || vanished_.count(b) > 0;
    }

    // Everything a host's Stack has to say after a call, a segment or a timer.
    void collect(int h) {
        Host& host = hosts_[static_cast<std::size_t>(h)];
        host.stack->take_segments(segments_);
        for (auto& s : segments_) transmit(h, std::move(s), false);
        for (const auto& ch : host.stack->take_changes()) run_.trace.push_back(change_entry(h, ch.tuple, ch.change));
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
        // The explorer's schedule first, then the scenario's link.
        LinkVerdict forced;
        Duration forced_extra{};
        for (const auto& [ordinal, is_drop] : forced_.actions) {
            if (t.closing_ordinal < 0 || static_cast<std::uint32_t>(t.closing_ordinal) != ordinal) continue;
            if (is_drop) {
                forced.drop = true;
                forced.why = "explored: lost";
            } else {
                forced_extra += sc_.link.delay * 2 + sc_.link.jitter * 2 + Duration::millis(1);
                forced.why = "explored: held back";
            }
        }
        const LinkVerdict v = link_.judge(now_, from, t.to, t.segment, forged, forced, forced_extra);
        const bool duplicate = v.duplicate;
        t.arrives = v.arrives;
        t.why = v.why;
        if (t.to < 0) t.fate = Transmission::Fate::no_host;
        else if (partitioned(from, t.to)) {
            t.fate = Transmission::Fate::cut;
            t.why = "partition";
        } else if (v.drop) t.fate = Transmission::Fate::lost;
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
            copy.arrives = link_.copy_arrives(v);
            trace(TraceEntry::Kind::send, from, {}, copy.id);
            queue_.push({copy.arrives, order_++, Event::Kind::arrival, copy.id});
            run_.transmissions.push_back(std::move(copy));
        }
    }

    void arrive(std::uint64_t id) {
        Transmission& t = run_.transmissions[id];
        Host& host = hosts_[static_cast<std::size_t>(t.to)];
        if (host.app->down()) {
            t.fate = Transmission::Fate::host_down;
            return;
        }
        trace(TraceEntry::Kind::deliver, t.to, {}, id);
        host.stack->on_segment(now_, t.segment);
        collect(t.to);
    }

    void note(int h, std::string text) { trace(TraceEntry::Kind::note, h, std::move(text)); }

    // Where a host's application runs: its own Stack, in the simulator's time.
    class HostView final : public AppHost {
    public:
        HostView(Simulator& sim, int h) : sim_{&sim}, h_{h} {}
        Stack& stack() override { return *host().stack; }
        Instant now() const override { return sim_->now_; }
        const wire::IpAddress& self() const override { return host().spec->address; }
        std::optional<wire::IpAddress> address_of(const std::string& name) const override {
            const int i = sim_->sc_.host_index(name);
            if (i < 0) return std::nullopt;
            return sim_->hosts_[static_cast<std::size_t>(i)].spec->address;
        }
        void on_call(const std::string& text) override { sim_->trace(TraceEntry::Kind::call, h_, text); }
        void on_note(const std::string& text) override { sim_->note(h_, text); }
        void collect() override { sim_->collect(h_); }
        void wake_at(Instant at) override { sim_->wake(h_, at); }
        void on_closing() override { sim_->closing_ = true; }
        void crash() override { host().stack = std::make_unique<Stack>(sim_->config_of(*host().spec)); }
        void vanish() override { sim_->vanished_.insert(h_); }
        void send_forged(engine::Segment seg) override { sim_->transmit(h_, std::move(seg), true); }
        std::uint64_t draw() override { return sim_->link_.random().next(); }

    private:
        Host& host() const { return sim_->hosts_[static_cast<std::size_t>(h_)]; }
        Simulator* sim_;
        int h_;
    };

    // Runs the host's application until a step has to wait.
    void run_app(int h) {
        hosts_[static_cast<std::size_t>(h)].app->run(views_[static_cast<std::size_t>(h)]);
    }

    const Scenario& sc_;
    const Schedule& forced_;
    LinkImpairments link_;
    std::vector<Host> hosts_;
    std::vector<HostView> views_;
    Run run_;
    Instant now_{};
    std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
    std::uint64_t order_{0};
    std::vector<engine::Segment> segments_;
    std::set<int> vanished_;
    bool closing_{false};
    std::uint32_t closing_count_{0};
};

} // namespace

Run simulate(const Scenario& scenario, const Schedule& forced) { return Simulator{scenario, forced}.go(); }

} // namespace teardown::sim
