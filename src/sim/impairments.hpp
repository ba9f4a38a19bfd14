#pragma once
// How a scenario's link treats one segment: the [[impair]] rules aimed at
// it, the link's random loss, reordering, duplication, serialisation and
// delay, and the partitions in force. The simulator and the lab share it, so
// that an impairment written once means the same in virtual time as on a
// TUN device in front of the Linux kernel.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/time.hpp"
#include "engine/segment.hpp"
#include "sim/random.hpp"
#include "sim/scenario.hpp"

namespace teardown::sim {

// What the link does with one segment.
struct LinkVerdict {
    bool drop{false};
    Instant arrives{};
    bool duplicate{false};
    Duration copy_extra{};  // the copy's delay after the original
    std::string why;        // what dropped, delayed or duplicated it
};

// What an [[impair]] rule calls a segment; an ACK is `ack_of_fin` when it
// acknowledges a FIN seen earlier in the other direction.
SegmentKind kind_of(const engine::Segment& s);

class LinkImpairments {
public:
    // `start`: when the run began (partitions count from it); `hosts`: how many.
    LinkImpairments(const Scenario& scenario, Instant start);

    // A segment from host `from` to host `to` (-1: no host), leaving at `now`.
    // `forced`: what an exploration already decided (drop, extra delay, why);
    // `forged`: a flood's segment, which [[impair]] rules never aim at.
    LinkVerdict judge(Instant now, int from, int to, const engine::Segment& seg, bool forged,
                      LinkVerdict forced = {}, Duration forced_extra = {});
    // When a duplicate's copy arrives.
    Instant copy_arrives(const LinkVerdict& v);
    // Whether a [[partition]] stands between hosts `a` and `b` at `now`.
    bool partitioned(Instant now, int a, int b) const;
    Random& random() { return rng_; }

private:
    using Direction = std::tuple<wire::IpAddress, std::uint16_t, wire::IpAddress, std::uint16_t>;
    const Scenario& sc_;
    Instant start_;
    Random rng_;
    std::vector<std::uint32_t> matched_;   // segments each rule has matched so far
    std::vector<Instant> link_free_;       // when each direction's link is free again
    std::map<Direction, SeqNum> fin_end_;  // the sequence number after each direction's FIN
};

} // namespace teardown::sim
