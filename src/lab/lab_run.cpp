#include "lab/lab_run.hpp"

#include <poll.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <memory>
#include <queue>

#include "capture/pcap_writer.hpp"
#include "engine/stack.hpp"
#include "sim/app_runner.hpp"
#include "sim/impairments.hpp"
#include "wire/frame_builder.hpp"
#include "wire/packet.hpp"

namespace teardown::lab {

namespace {

using sim::TraceEntry;
using sim::Transmission;

// Real time as an Instant: the wall clock at the start, moved on by the
// monotonic clock, so timers never jump when the wall clock is set.
class LabClock {
public:
    LabClock() : wall_{read(CLOCK_REALTIME)}, mono_{read(CLOCK_MONOTONIC)} {}
    Instant now() const { return Instant::from_nanos(wall_ + (read(CLOCK_MONOTONIC) - mono_)); }

private:
    static std::int64_t read(clockid_t id) {
        timespec ts{};
        clock_gettime(id, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
    std::int64_t wall_;
    std::int64_t mono_;
};

// A segment the link holds back until `due`.
struct Held {
    Instant due;
    std::uint64_t order;
    std::uint64_t transmission;
    bool operator>(const Held& o) const { return due != o.due ? due > o.due : order > o.order; }
};

class LabRunner final : public sim::AppHost {
public:
    LabRunner(TunDevice& tun, const LabPlan& plan)
        : tun_{tun}, plan_{plan}, start_{clock_.now()}, link_{plan.scenario, start_}, app_{ours().app} {
        config_ = ours().config;
        // RFC 6528: on a real network the ISN secret must not be guessable.
        std::uint64_t secret = 0;
        if (getrandom(&secret, sizeof secret, 0) == sizeof secret) config_.isn_secret = secret;
        stack_ = std::make_unique<engine::Stack>(config_);
        if (plan.service)
            service_.emplace(*plan.service, [this](const std::string& text) { on_call(text); });
        now_ = start_;
        run_.start = start_;
    }

    Result<LabResult> go(const std::atomic<bool>& stop, const std::atomic<bool>& wind_down, Duration linger) {
        if (!plan_.pcap.empty()) {
            auto w = capture::PcapWriter::create(plan_.pcap, wire::LinkType::raw);
            if (!w) return w.error();
            pcap_.emplace(std::move(*w));
        }
        if (service_) {
            const Errno e = service_->listen(*stack_, now_, {ours().address, plan_.port});
            collect();
            if (e != Errno::none)
                return Error::state("listen on " + wire::Endpoint{ours().address, plan_.port}.to_string() + ": " +
                                    std::string{engine::to_string(e)});
        }
        std::array<std::byte, 65536> packet{};
        LabResult result;
        for (;;) {
            now_ = clock_.now();
            step_apps();
            if (stop.load(std::memory_order_relaxed) || finished()) break;
            if (wind_down.load(std::memory_order_relaxed)) {
                if (wound_down_.is_never()) wound_down_ = now_;
                if ((stack_->connections() == 0 && held_.empty()) || now_ - wound_down_ >= linger) break;
            }
            if (plan_.limit > Duration::zero() && now_ - start_ >= plan_.limit) {
                result.timed_out = true;
                break;
            }
            // Sleep until the kernel sends, a held segment is due, a timer or an app step wakes.
            Instant next = std::min({stack_->next_deadline(), held_.empty() ? Instant::never() : held_.top().due, wake_});
            Duration wait = next.is_never() ? Duration::millis(50) : next - now_;
            wait = std::clamp(wait, Duration::zero(), Duration::millis(50));  // `stop` is looked at that often
            pollfd p{tun_.fd(), POLLIN, 0};
            const timespec ts{static_cast<time_t>(wait.count_nanos() / 1'000'000'000), static_cast<long>(wait.count_nanos() % 1'000'000'000)};
            (void)ppoll(&p, 1, &ts, nullptr);
            now_ = clock_.now();
            for (int burst = 0; burst < 256; ++burst) {
                auto n = tun_.read(packet);
                if (!n) return n.error();
                if (*n == 0) break;
                if (auto r = from_kernel(std::span{packet.data(), *n}, result); !r) return r.error();
            }
            if (auto r = release_held(); !r) return r.error();
            if (stack_->next_deadline() <= now_) {
                if (plan_.trace) trace(TraceEntry::Kind::timer);
                stack_->on_timer(now_);
                collect();
            }
            if (!io_error_.empty()) return Error::io(io_error_);
        }
        if (pcap_) {
            if (auto r = pcap_->close(); !r) return r.error();
        }
        run_.end = now_;
        run_.hosts = {sim::HostResult{}, sim::host_result(*stack_, app_)};  // the kernel's is not ours to know
        run_.quiet = finished();
        if (service_) {
            result.served = service_->closed();
            result.responses = service_->responses();
        }
        result.run = std::move(run_);
        return result;
    }

    // sim::AppHost: where the scripted steps run.
    engine::Stack& stack() override { return *stack_; }
    Instant now() const override { return now_; }
    const wire::IpAddress& self() const override { return ours().address; }
    std::optional<wire::IpAddress> address_of(const std::string& host) const override {
        const int i = plan_.scenario.host_index(host);
        if (i < 0) return std::nullopt;
        return plan_.scenario.hosts[static_cast<std::size_t>(i)].address;
    }
    void on_call(const std::string& text) override {
        if (plan_.trace) trace(TraceEntry::Kind::call, text);
    }
    void on_note(const std::string& text) override { trace(TraceEntry::Kind::note, text); }
    void collect() override {
        stack_->take_segments(segments_);
        for (auto& s : segments_) to_kernel(std::move(s));
        stack_->take_changes(changes_);
        if (plan_.trace)
            for (const auto& ch : changes_) run_.trace.push_back(sim::change_entry(k_ours, ch.tuple, ch.change));
        stack_->take_events(events_);  // the app and the service poll their descriptors
    }
    void wake_at(Instant at) override { wake_ = std::min(wake_, at); }
    void on_closing() override {}
    void crash() override { stack_ = std::make_unique<engine::Stack>(config_); }
    void vanish() override { vanished_ = true; }
    void send_forged(engine::Segment seg) override { to_kernel(std::move(seg), true); }
    std::uint64_t draw() override { return link_.random().next(); }

private:
    using Errno = engine::Errno;
    const sim::HostSpec& ours() const { return plan_.scenario.hosts[k_ours]; }

    void trace(TraceEntry::Kind kind, std::string text = {}, std::uint64_t transmission = 0, int host = k_ours) {
        run_.trace.push_back(sim::trace_entry(kind, now_, host, std::move(text), transmission));
    }

    void step_apps() {
        if (wake_ <= now_) wake_ = Instant::never();
        app_.run(*this);
        if (app_.finished() && !exited_ && !ours().app.empty()) {
            // The steps are done and the program exits: the kernel of its host
            // would close what it still holds (an ended connection's descriptor,
            // the listener), and so do we.
            exited_ = true;
            for (const int fd : {app_.current_fd(), app_.listener_fd()})
                if (fd >= 0) (void)stack_->close(now_, fd);
            collect();
        }
        if (service_) {
            service_->poll(*stack_, now_);
            collect();
        }
    }

    bool finished() const {
        if (!held_.empty()) return false;
        // A service is done with its connections once none is left but TIME-WAIT entries.
        if (service_ && plan_.connections > 0 && service_->closed() >= plan_.connections && service_->open() == 0 &&
            stack_->connections() == 0)
            return true;
        if (service_ || !plan_.stop_when_done) return false;
        return app_.finished() && stack_->connections() == 0 && stack_->time_wait_entries() == 0;
    }

    bool cut() const { return vanished_ || link_.partitioned(now_, k_kernel, k_ours); }

    // The fate of a segment leaving `from`, held back when the link delays it.
    void judge(int from, engine::Segment seg, bool forged) {
        // Without a trace only what the link still holds is kept, so a long run's memory stays flat.
        if (!plan_.trace && held_.empty()) run_.transmissions.clear();
        Transmission t;
        t.id = run_.transmissions.size();
        t.from = from;
        t.to = from == k_ours ? k_kernel : k_ours;
        t.sent = now_;
        t.forged = forged;
        t.segment = std::move(seg);
        const sim::LinkVerdict v = link_.judge(now_, from, t.to, t.segment, forged);
        t.arrives = v.arrives;
        t.why = v.why;
        if (cut()) {
            t.fate = Transmission::Fate::cut;
            t.why = vanished_ ? "vanished" : "partition";
        } else if (v.drop) t.fate = Transmission::Fate::lost;
        run_.transmissions.push_back(std::move(t));
        Transmission& kept = run_.transmissions.back();
        if (plan_.trace) trace(TraceEntry::Kind::send, {}, kept.id, from);
        if (kept.fate == Transmission::Fate::delivered) {
            held_.push({kept.arrives, order_++, kept.id});
            if (v.duplicate) {
                Transmission copy = kept;
                copy.id = run_.transmissions.size();
                copy.copy = true;
                copy.arrives = link_.copy_arrives(v);
                held_.push({copy.arrives, order_++, copy.id});
                run_.transmissions.push_back(std::move(copy));
                if (plan_.trace) trace(TraceEntry::Kind::send, {}, run_.transmissions.back().id, from);
            }
        }
    }

    void to_kernel(engine::Segment seg, bool forged = false) {
        judge(k_ours, std::move(seg), forged);
        if (auto r = release_held(); !r) io_error_ = r.error().message;
    }

    Result<void> from_kernel(std::span<const std::byte> bytes, LabResult& result) {
        if (pcap_) {
            if (auto r = pcap_->write(now_, bytes); !r) return r;
        }
        auto d = wire::decode(wire::LinkType::raw, bytes, static_cast<std::uint32_t>(bytes.size()));
        if (!d || !d->is_tcp() || d->dst() != ours().address) {
            ++result.ignored;
            return {};
        }
        if (d->tcp_checksum() == wire::ChecksumStatus::invalid) {
            ++result.bad_checksums;
            return {};
        }
        auto repr = d->tcp->to_repr();
        if (!repr) {
            ++result.ignored;
            return {};
        }
        engine::Segment seg;
        seg.src = d->src();
        seg.dst = d->dst();
        seg.tcp = *repr;
        const auto payload = d->tcp->payload();
        seg.payload.assign(payload.begin(), payload.end());
        judge(k_kernel, std::move(seg), false);
        return release_held();
    }

    // Everything the link has let through by now: to our Stack or out of the TUN device.
    Result<void> release_held() {
        while (!held_.empty() && held_.top().due <= now_) {
            const Held h = held_.top();
            held_.pop();
            Transmission& t = run_.transmissions[h.transmission];
            if (cut()) {
                t.fate = Transmission::Fate::cut;
                t.why = "partition";
                continue;
            }
            if (t.to == k_ours) {
                if (app_.down()) {
                    t.fate = Transmission::Fate::host_down;
                    continue;
                }
                if (plan_.trace) trace(TraceEntry::Kind::deliver, {}, t.id);
                stack_->on_segment(now_, t.segment);
                collect();
                continue;
            }
            wire::FrameSpec spec;
            spec.link = wire::LinkType::raw;
            spec.src = t.segment.src;
            spec.dst = t.segment.dst;
            spec.tcp = t.segment.tcp;
            spec.layout = config_.option_layout;
            spec.payload = t.segment.payload;
            frame_.clear();
            if (auto r = wire::build_frame(spec, frame_); !r) return r.error();
            if (auto r = tun_.write(frame_); !r) return r;
            if (pcap_) {
                if (auto r = pcap_->write(now_, frame_); !r) return r;
            }
        }
        return {};
    }

    TunDevice& tun_;
    const LabPlan& plan_;
    LabClock clock_;
    Instant start_;
    Instant now_{};
    Instant wake_{Instant::never()};
    Instant wound_down_{Instant::never()};
    sim::LinkImpairments link_;
    engine::Config config_;
    std::unique_ptr<engine::Stack> stack_;
    sim::AppRunner app_;
    std::optional<Service> service_;
    std::optional<capture::PcapWriter> pcap_;
    sim::Run run_;
    std::priority_queue<Held, std::vector<Held>, std::greater<>> held_;
    std::uint64_t order_{0};
    std::vector<engine::Segment> segments_;
    std::vector<engine::ConnectionChange> changes_;
    std::vector<std::pair<int, engine::AppEvent>> events_;
    std::vector<std::byte> frame_;
    std::string io_error_;
    bool vanished_{false};
    bool exited_{false};
};

} // namespace

Result<LabResult> run_lab(TunDevice& tun, const LabPlan& plan, const std::atomic<bool>& stop,
                          const std::atomic<bool>& wind_down, Duration linger) {
    if (plan.scenario.hosts.size() != 2) return Error::bad_value("a lab plan has two hosts: the kernel and ours");
    LabRunner runner{tun, plan};
    return runner.go(stop, wind_down, linger);
}

} // namespace teardown::lab
