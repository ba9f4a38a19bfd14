#include "analyze/analyzer.hpp"

#include <algorithm>

namespace teardown::analyze {

wire::FourTuple Analyzer::key_of(const TcpPacket& p) {
    // One key for both directions: the smaller endpoint first.
    const bool src_first = p.src.addr < p.dst.addr || (p.src.addr == p.dst.addr && p.src.port < p.dst.port);
    return src_first ? wire::FourTuple{p.src, p.dst} : wire::FourTuple{p.dst, p.src};
}

void Analyzer::on_frame(Instant ts, const wire::DecodedPacket& d, std::uint32_t wire_len) {
    if (!d.is_tcp()) {
        ++counts_.packets;
        ++counts_.not_tcp;
        return;
    }
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
    if (!t.payload_complete()) ++counts_.truncated;
    if (limits_.checksums && d.tcp_checksum() == wire::ChecksumStatus::invalid) {
        ++counts_.bad_checksums;
        p.bad_checksum = true;
    }
    on_packet(p);
}

void Analyzer::on_packet(const TcpPacket& p) {
    ++counts_.packets;
    ++counts_.tcp_packets;
    if (p.ts < now_) ++counts_.out_of_order;
    else now_ = p.ts;
    if (now_ >= next_sweep_) {
        sweep(now_);
        next_sweep_ = now_ + Duration::seconds(10);
    }
    const wire::FourTuple key = key_of(p);
    auto it = flows_.find(key);
    if (it != flows_.end() && it->second.tracker.is_new_syn(p)) {
        report(it->second);
        flows_.erase(it);
        it = flows_.end();
    }
    if (it == flows_.end()) {
        if (flows_.size() >= limits_.max_flows) evict_oldest();
        it = flows_.emplace(key, Flow{ConnectionTracker{p}, next_id_++}).first;
        ++counts_.connections;
    }
    it->second.tracker.on_packet(p);
}

void Analyzer::report(Flow& f) {
    ConnectionRecord r = f.tracker.record();
    r.id = f.id;
    const wire::FourTuple key{std::min(r.client, r.server, [](const auto& a, const auto& b) {
                                  return a.addr < b.addr || (a.addr == b.addr && a.port < b.port);
                              }),
                              std::max(r.client, r.server, [](const auto& a, const auto& b) {
                                  return a.addr < b.addr || (a.addr == b.addr && a.port < b.port);
                              })};
    // RFC 9293 §3.4.2: a 4-tuple is not to be reused within 2 MSL of its last close.
    if (const auto e = ended_.find(key); e != ended_.end() && r.start - e->second < limits_.linger)
        r.anomalies.add(Anomaly::tuple_reused_within_2msl);
    ended_[key] = r.end;
    sink_(std::move(r));
}

// Reports what is over: finished connections past their linger, idle ones
// past the idle limit; and forgets ends of connections older than 2 MSL.
void Analyzer::sweep(Instant now) {
    for (auto it = flows_.begin(); it != flows_.end();) {
        const auto& t = it->second.tracker;
        const Duration quiet = now - t.last_seen();
        const bool over = (t.finished() && quiet >= limits_.linger) || quiet >= limits_.idle;
        if (!over) {
            ++it;
            continue;
        }
        if (!t.finished()) ++counts_.evicted_idle;
        report(it->second);
        it = flows_.erase(it);
    }
    for (auto it = ended_.begin(); it != ended_.end();) {
        if (now - it->second >= limits_.linger) it = ended_.erase(it);
        else ++it;
    }
}

// The table is full: the least recently active eighth is reported now, so
// that a flood of new 4-tuples costs one scan per many insertions.
void Analyzer::evict_oldest() {
    std::vector<std::pair<Instant, wire::FourTuple>> by_age;
    by_age.reserve(flows_.size());
    for (const auto& [key, f] : flows_) by_age.emplace_back(f.tracker.last_seen(), key);
    const std::size_t n = std::max<std::size_t>(1, by_age.size() / 8);
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(n - 1), by_age.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < n; ++i) {
        const auto it = flows_.find(by_age[i].second);
        ++counts_.evicted_full;
        report(it->second);
        flows_.erase(it);
    }
}

void Analyzer::finish() {
    std::vector<std::pair<std::uint64_t, wire::FourTuple>> order;
    for (const auto& [key, f] : flows_) order.emplace_back(f.id, key);
    std::sort(order.begin(), order.end());
    for (const auto& [id, key] : order) report(flows_.at(key));
    flows_.clear();
}

} // namespace teardown::analyze
