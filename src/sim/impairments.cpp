#include "sim/impairments.hpp"

#include <algorithm>

namespace teardown::sim {

SegmentKind kind_of(const engine::Segment& s) {
    const auto& f = s.tcp.flags;
    if (f.rst_set()) return SegmentKind::rst;
    if (f.syn_set()) return f.ack_set() ? SegmentKind::syn_ack : SegmentKind::syn;
    if (f.fin_set()) return SegmentKind::fin;
    if (!s.payload.empty()) return SegmentKind::data;
    return SegmentKind::ack;
}

LinkImpairments::LinkImpairments(const Scenario& scenario, Instant start)
    : sc_{scenario}, start_{start}, rng_{scenario.seed} {
    matched_.assign(scenario.impairments.size(), 0);
    link_free_.assign(scenario.hosts.size() * scenario.hosts.size(), start);
}

LinkVerdict LinkImpairments::judge(Instant now, int from, int to, const engine::Segment& seg, bool forged,
                                   LinkVerdict v, Duration extra) {
    if (!forged) {
        SegmentKind kind = kind_of(seg);
        if (seg.tcp.flags.fin_set()) fin_end_[{seg.src, seg.tcp.src_port, seg.dst, seg.tcp.dst_port}] = seg.tcp.seq + seg.seq_len();
        if (kind == SegmentKind::ack) {
            const auto fin = fin_end_.find({seg.dst, seg.tcp.dst_port, seg.src, seg.tcp.src_port});
            if (fin != fin_end_.end() && seg.tcp.ack == fin->second) kind = SegmentKind::ack_of_fin;
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
            case Impairment::Action::drop:
                v.drop = true;
                v.why = which;
                break;
            case Impairment::Action::delay:
                extra += im.by;
                v.why = which + ": delayed";
                break;
            case Impairment::Action::duplicate:
                v.duplicate = true;
                v.copy_extra = im.by;
                v.why = which + ": duplicated";
                break;
            }
        }
    }
    const LinkSpec& link = sc_.link;
    if (!v.drop && rng_.chance(link.loss)) {
        v.drop = true;
        v.why = "random loss";
    }
    if (rng_.chance(link.reorder)) {
        extra += link.delay + link.jitter * 2 + Duration::millis(1);
        if (v.why.empty()) v.why = "reordered";
    }
    if (rng_.chance(link.duplicate)) {
        v.duplicate = true;
        if (v.why.empty()) v.why = "duplicated";
    }
    // Serialisation behind what this direction is still sending, then the delay.
    Instant departs = now;
    if (to >= 0 && link.bandwidth_bps > 0) {
        Instant& free = link_free_[static_cast<std::size_t>(from) * sc_.hosts.size() + static_cast<std::size_t>(to)];
        const auto bits = (seg.payload.size() + 40) * 8;
        const auto ns = static_cast<std::int64_t>(bits * 1'000'000'000ull / link.bandwidth_bps);
        departs = std::max(now, free) + Duration::nanos(ns);
        free = departs;
    }
    v.arrives = departs + link.delay + rng_.upto(link.jitter) + extra;
    return v;
}

Instant LinkImpairments::copy_arrives(const LinkVerdict& v) {
    return v.arrives + v.copy_extra + rng_.upto(sc_.link.jitter) + Duration::micros(1);
}

bool LinkImpairments::partitioned(Instant now, int a, int b) const {
    const Duration t = now - start_;
    for (const auto& p : sc_.partitions) {
        if (t < p.at || (p.heal && t >= *p.heal)) continue;
        if (p.host.empty()) return true;
        const int h = sc_.host_index(p.host);
        if (h == a || h == b) return true;
    }
    return false;
}

} // namespace teardown::sim
