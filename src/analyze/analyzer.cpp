#include "analyze/analyzer.hpp"

#include <algorithm>

namespace teardown::analyze {

wire::FourTuple connection_key(const TcpPacket& p) {
    return p.src < p.dst ? wire::FourTuple{p.src, p.dst} : wire::FourTuple{p.dst, p.src};
}

std::optional<TcpPacket> tcp_packet_of(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len, bool checksums) {
    if (!d.is_tcp()) return std::nullopt;
    const auto& t = *d.tcp;
    TcpPacket p;
    p.ts = ts;
    p.src = {d.src(), t.src_port()};
    p.dst = {d.dst(), t.dst_port()};
    p.flags = t.flags();
    p.seq = t.seq();
    p.ack = t.ack();
    p.window = t.window();
    p.payload_len = static_cast<std::uint32_t>(t.payload_length());
    p.ip_len = wire_len;
    if (p.flags.syn_set()) {
        // RFC 7323 §2: the shift the SYN offers; the window is scaled only when both SYNs offer one.
        wire::TcpOptionIterator it{t.options()};
        wire::TcpOptionView o;
        while (it.next(o))
            if (o.kind == wire::tcp_option::window_scale && o.data.size() == 1)
                p.window_scale = std::min<std::uint8_t>(14, std::to_integer<std::uint8_t>(o.data[0]));
    }
    p.truncated = !t.payload_complete();
    p.bad_checksum = checksums && d.tcp_checksum() == wire::ChecksumStatus::invalid;
    return p;
}

void Analyzer::on_frame(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len) {
    auto p = tcp_packet_of(ts, d, wire_len, limits_.checksums);
    if (!p) {
        on_not_tcp();
        return;
    }
    p->index = counts_.packets;
    on_packet(*p);
}

void Analyzer::on_packet(const TcpPacket& p) {
    ++counts_.packets;
    ++counts_.tcp_packets;
    if (p.truncated) ++counts_.truncated;
    if (p.bad_checksum) ++counts_.bad_checksums;
    if (p.ts < now_) ++counts_.out_of_order;
    else now_ = p.ts;
    if (now_ >= next_sweep_) {
        sweep(now_);
        next_sweep_ = now_ + Duration::seconds(10);
    }
    const wire::FourTuple key = connection_key(p);
    std::uint32_t slot = find(key);
    if (slot != wire::TupleIndex::k_absent && flows_[slot].tracker.is_new_syn(p)) {
        report_and_remove(slot);
        slot = wire::TupleIndex::k_absent;
    }
    if (slot == wire::TupleIndex::k_absent) {
        if (index_.size() >= limits_.max_flows) evict_oldest();
        slot = add(p, key);
    }
    flows_[slot].tracker.on_packet(p);
}

std::uint32_t Analyzer::add(const TcpPacket& first, const wire::FourTuple& key) {
    ++counts_.connections;
    Flow f{ConnectionTracker{first}, next_id_++, key, true};
    std::uint32_t slot;
    if (!free_.empty()) {
        slot = free_.back();
        free_.pop_back();
        flows_[slot] = std::move(f);
    } else {
        slot = static_cast<std::uint32_t>(flows_.size());
        flows_.push_back(std::move(f));
    }
    index_.insert(key, slot);
    return slot;
}

void Analyzer::report_and_remove(std::uint32_t slot) {
    Flow& f = flows_[slot];
    ConnectionRecord r = f.tracker.record();
    r.id = f.id;
    // RFC 9293 §3.4.2: a 4-tuple is not to be reused within 2 MSL of its last close.
    if (const auto e = ended_index_.find(f.key, EndedKeyOf{this});
        e != wire::TupleIndex::k_absent && r.start - ended_[e].at < limits_.linger)
        r.anomalies.add(Anomaly::tuple_reused_within_2msl);
    remember_end(f.key, r.end);
    index_.erase(f.key, KeyOf{this});
    f.live = false;
    free_.push_back(slot);
    sink_(std::move(r));
}

// Reports what is over: finished connections past their linger, idle ones
// past the idle limit; and forgets ends of connections older than 2 MSL.
void Analyzer::sweep(Instant now) {
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot) {
        if (!flows_[slot].live) continue;
        const auto& t = flows_[slot].tracker;
        const Duration quiet = now - t.last_seen();
        const bool over = (t.finished() && quiet >= limits_.linger) || quiet >= limits_.idle;
        if (!over) continue;
        if (!t.finished()) ++counts_.evicted_idle;
        report_and_remove(slot);
    }
    for (std::uint32_t i = 0; i < ended_.size(); ++i) {
        if (!ended_[i].live || now - ended_[i].at < limits_.linger) continue;
        ended_index_.erase(ended_[i].key, EndedKeyOf{this});
        ended_[i].live = false;
        ended_free_.push_back(i);
    }
}

void Analyzer::remember_end(const wire::FourTuple& key, Instant at) {
    if (const auto e = ended_index_.find(key, EndedKeyOf{this}); e != wire::TupleIndex::k_absent) {
        ended_[e].at = at;
        return;
    }
    std::uint32_t i;
    if (!ended_free_.empty()) {
        i = ended_free_.back();
        ended_free_.pop_back();
        ended_[i] = {key, at, true};
    } else {
        i = static_cast<std::uint32_t>(ended_.size());
        ended_.push_back({key, at, true});
    }
    ended_index_.insert(key, i);
}

// The table is full: the least recently active eighth is reported now, so
// that a flood of new 4-tuples costs one scan per many insertions.
void Analyzer::evict_oldest() {
    std::vector<std::pair<Instant, std::uint32_t>> by_age;
    by_age.reserve(index_.size());
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot)
        if (flows_[slot].live) by_age.emplace_back(flows_[slot].tracker.last_seen(), slot);
    const std::size_t n = std::max<std::size_t>(1, by_age.size() / 8);
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(n - 1), by_age.end());
    for (std::size_t i = 0; i < n; ++i) {
        ++counts_.evicted_full;
        report_and_remove(by_age[i].second);
    }
}

void Analyzer::finish() {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot)
        if (flows_[slot].live) order.emplace_back(flows_[slot].id, slot);
    std::sort(order.begin(), order.end());
    for (const auto& [id, slot] : order) report_and_remove(slot);
    flows_.clear();
    free_.clear();
}

} // namespace teardown::analyze
