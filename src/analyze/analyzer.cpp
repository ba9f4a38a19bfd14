#include "analyze/analyzer.hpp"

#include <algorithm>
#include <cstring>


namespace teardown::analyze {

AnalyzerCounts& AnalyzerCounts::operator+=(const AnalyzerCounts& o) {
    packets += o.packets;
    tcp_packets += o.tcp_packets;
    not_tcp += o.not_tcp;
    malformed += o.malformed;
    truncated += o.truncated;
    bad_checksums += o.bad_checksums;
    out_of_order += o.out_of_order;
    evicted_full += o.evicted_full;
    evicted_idle += o.evicted_idle;
    connections += o.connections;
    peak_tracked += o.peak_tracked;  // each shard's peak: at most this many at once
    peak_table_bytes += o.peak_table_bytes;
    return *this;
}

bool key_of(const wire::DecodedPacket& d, FlowKey& key, bool& from_lo) {
    if (!d.is_tcp()) return false;
    key.assign(d.ip_version == wire::IpVersion::v6, d.src_bytes, d.tcp->src_port(), d.dst_bytes, d.tcp->dst_port(), from_lo);
    return true;
}

void segment_of(Instant ts, const wire::DecodedPacket& d, bool checksums, CapturedSegment& s) {
    const auto& t = *d.tcp;
    s.ts = ts;
    s.seq = t.seq();
    s.ack = t.ack();
    s.payload_len = static_cast<std::uint32_t>(t.payload_length());
    s.ip_len = d.ip_length;
    s.window = t.window();
    s.src_port = t.src_port();
    s.dst_port = t.dst_port();
    s.flags = t.flags();
    s.window_scale = s.flags.syn_set() ? window_scale_offered(t.options()) : CapturedSegment::k_no_scale;
    s.truncated = !t.payload_complete();
    s.bad_checksum = checksums && d.tcp_checksum() == wire::ChecksumStatus::invalid;
}

void Analyzer::on_captured(Instant ts, wire::LinkType link, std::span<const std::byte> frame, std::uint32_t orig_len) {
    if (on_quick_segment(ts, link, frame, orig_len)) return;
    if (wire::decode_into(link, frame, orig_len, decoded_)) return on_malformed(ts);
    on_frame(ts, decoded_);
}

void Analyzer::on_frame(Instant ts, const wire::DecodedPacket& d) {
    FlowKey key;
    CapturedSegment s;
    if (!key_of(d, key, s.from_lo)) {
        on_not_tcp(ts);
        return;
    }
    segment_of(ts, d, limits_.checksums, s);
    on_segment(key, s);
}

void Analyzer::on_packet(const TcpPacket& p) {
    CapturedSegment s;
    s.ts = p.ts;
    s.index = p.index;
    s.seq = p.seq;
    s.ack = p.ack;
    s.payload_len = p.payload_len;
    s.ip_len = p.ip_len;
    s.window = p.window;
    s.src_port = p.src.port;
    s.dst_port = p.dst.port;
    s.flags = p.flags;
    s.window_scale = p.window_scale ? std::min<std::uint8_t>(14, *p.window_scale) : CapturedSegment::k_no_scale;
    s.bad_checksum = p.bad_checksum;
    s.truncated = p.truncated;
    const FlowKey key = FlowKey::of(p.src, p.dst, s.from_lo);
    // One at a time, analyzed now: what a caller sees after the call is this packet's effect.
    ++counts_.packets;
    ++frames_;
    drain();
    Waiting w{key, s, static_cast<std::uint32_t>(key.hash()), true, false, false};
    stamp(w);
    advance(w);
}

void Analyzer::on_segment(const FlowKey& key, const CapturedSegment& s, std::uint64_t hash) {
    Waiting& next = next_place();
    next.key = key;
    next.segment = s;
    arrived(next, hash);
}

void Analyzer::arrived(Waiting& next, std::uint64_t hash) {
    ++counts_.packets;
    const auto h = static_cast<std::uint32_t>(hash);
    // The index bucket where this key's probe starts, fetched while the
    // segments before it are analyzed. (Fetching the tracker it names as
    // well, half the queue later, gained nothing measurable, three times: the
    // trackers of a capture's active connections are mostly in cache.)
    __builtin_prefetch(index_.home_of(h));
    stamp(next);
    count(next);
    next.hash = h;
    next.segment_here = true;
}

void Analyzer::queue_sweep(Instant ts, Clocked c) {
    Waiting& next = next_place();
    next.segment.ts = ts;
    next.late = c.late;
    next.sweeps = c.sweeps;
    count(next);
    next.segment_here = false;
}

void Analyzer::on_quiet(Instant now) {
    drain();
    if (now <= now_) return;
    const Clocked c = clock(now);
    if (!c.sweeps) return;
    moment_ = 4 * frames_;  // as if at the next frame's arrival
    sweep(now);
}

void Analyzer::stamp(Waiting& w) {
    const Clocked c = clock(w.segment.ts);
    w.late = c.late;
    w.sweeps = c.sweeps;
}

Analyzer::Waiting& Analyzer::next_place() {
    if (waiting_count_ == k_lookahead) track_oldest();
    return waiting_[(waiting_head_ + waiting_count_) % k_lookahead];
}

void Analyzer::count(Waiting& next) {
    ++frames_;
    ++waiting_count_;
    next.segment.index = frames_ - 1;  // counted when it arrives, though analyzed a little later
}

void Analyzer::track_oldest() {
    advance(waiting_[waiting_head_]);
    waiting_head_ = (waiting_head_ + 1) % k_lookahead;
    --waiting_count_;
}

void Analyzer::drain() {
    while (waiting_count_ > 0) track_oldest();
}

std::uint64_t Analyzer::next_moment() const {
    if (moment_ == k_end_moment) return k_end_moment;
    return 4 * (waiting_count_ > 0 ? waiting_[waiting_head_].segment.index : frames_);
}

void Analyzer::advance(const Waiting& w) {
    if (w.late) ++counts_.out_of_order;  // a segment earlier than a frame before it
    if (w.sweeps) {
        moment_ = 4 * w.segment.index;
        sweep(w.segment.ts);
    }
    if (w.segment_here) track(w);
}

void Analyzer::track(const Waiting& w) {
    const FlowKey& key = w.key;
    const CapturedSegment& s = w.segment;
    ++counts_.tcp_packets;
    if (s.truncated) ++counts_.truncated;
    if (s.bad_checksum) ++counts_.bad_checksums;
    const std::uint32_t h = w.hash;
    std::uint32_t slot = find(key, h);
    if (slot != wire::TupleIndex::k_absent && flows_[slot].is_new_syn(s)) {
        moment_ = 4 * s.index + 1;
        report_and_remove(slot);
        slot = wire::TupleIndex::k_absent;
    }
    if (slot == wire::TupleIndex::k_absent) {
        if (index_.size() >= limits_.max_flows) {
            moment_ = 4 * s.index + 2;
            evict_oldest();
        }
        slot = add(s, key, h);
    }
    flows_[slot].on_segment(s);
}

bool Analyzer::is(const StoredKey& k, bool v6, const FlowKey& key) const {
    if (v6 != key.v6) return false;
    if (!v6) return key.matches_v4(k);
    if (!key.ports_match(k)) return false;
    const auto& pair = v6_pairs_[k.lo];
    return std::equal(key.lo.begin(), key.lo.end(), pair.begin()) && std::equal(key.hi.begin(), key.hi.end(), pair.begin() + 16);
}

StoredKey Analyzer::store(const FlowKey& key) {
    StoredKey k{key.lo_v4(), key.hi_v4(), key.lo_port, key.hi_port};
    if (!key.v6) return k;
    const auto i = static_cast<std::uint32_t>(v6_pairs_.take());
    std::copy(key.lo.begin(), key.lo.end(), v6_pairs_[i].begin());
    std::copy(key.hi.begin(), key.hi.end(), v6_pairs_[i].begin() + 16);
    k.lo = i;
    k.hi = 0;
    return k;
}

void Analyzer::release(const StoredKey& k, bool v6) {
    if (v6) v6_pairs_.give_back(k.lo);
}

FlowKey Analyzer::full_key(const StoredKey& k, bool v6) const {
    FlowKey f;
    f.v6 = v6;
    f.lo_port = k.lo_port;
    f.hi_port = k.hi_port;
    if (v6) {
        std::copy_n(v6_pairs_[k.lo].begin(), 16, f.lo.begin());
        std::copy_n(v6_pairs_[k.lo].begin() + 16, 16, f.hi.begin());
    } else {
        std::memcpy(f.lo.data(), &k.lo, 4);
        std::memcpy(f.hi.data(), &k.hi, 4);
    }
    return f;
}

std::uint32_t Analyzer::hash_of(const StoredKey& k, bool v6) const { return static_cast<std::uint32_t>(full_key(k, v6).hash()); }

std::uint32_t Analyzer::add(const CapturedSegment& first, const FlowKey& key, std::uint32_t h) {
    ++counts_.connections;
    const std::uint64_t id = ids_are_packets_ ? first.index : next_id_++;
    if (ids_are_packets_) starts_.push_back(id);
    const auto slot = static_cast<std::uint32_t>(flows_.take());
    flows_[slot] = ConnectionTracker{first, store(key), key.v6, id};
    due_at(flows_due_, slot / decltype(flows_)::k_chunk, first.ts + soonest_over());
    index_.insert_hashed(h, slot);
    note_peak();
    return slot;
}

void Analyzer::note_peak() {
    if (index_.size() <= counts_.peak_tracked) return;
    counts_.peak_tracked = index_.size();
    counts_.peak_table_bytes = table_bytes();
}

std::size_t Analyzer::table_bytes() const {
    return flows_.bytes() + index_.bytes() + v6_pairs_.bytes() + ended_.bytes() + ended_index_.bytes();
}

void Analyzer::report_and_remove(std::uint32_t slot, bool remember) {
    ConnectionTracker& t = flows_[slot];
    const StoredKey key = t.key();
    const bool v6 = t.v6();
    const FlowKey full = full_key(key, v6);
    ConnectionRecord r = t.record(full.lo_endpoint(), full.hi_endpoint());
    // At the end of the capture, with no ends remembered, the hash is not needed.
    const auto h = static_cast<std::uint32_t>(remember || ended_index_.size() > 0 ? full.hash() : 0);
    // At the end of the capture the index goes as a whole.
    if (remember) index_.erase_hashed(h, [&](std::uint32_t id) { return id == slot; });
    // RFC 9293 §3.4.2: a 4-tuple is not to be reused within 2 MSL of its last close.
    const std::uint32_t e = ended_index_.find_hashed(h, [&](std::uint32_t i) { return is(ended_[i].key, ended_[i].v6, full); });
    if (e != wire::TupleIndex::k_absent && r.start - ended_[e].at < limits_.linger) r.anomalies.add(Anomaly::tuple_reused_within_2msl);
    if (remember && e != wire::TupleIndex::k_absent) {
        ended_[e].at = r.end;
        release(key, v6);
    } else if (remember) {
        remember_end(key, v6, r.end);  // the end keeps the key's IPv6 slot
    } else {
        release(key, v6);
    }
    // Only marked dead (sweeps and finish() skip it): add() writes the
    // slot whole when it is taken again, so clearing it here would write
    // every byte twice.
    t.retire();
    flows_.give_back(slot);
    sink_(std::move(r));
}

void Analyzer::remember_end(const StoredKey& key, bool v6, Instant at) {
    const auto i = static_cast<std::uint32_t>(ended_.take());
    ended_[i] = {key, v6, true, at};
    due_at(ended_due_, i / decltype(ended_)::k_chunk, at + limits_.linger);
    ended_index_.insert_hashed(hash_of(key, v6), i);
}

void Analyzer::due_at(std::vector<Instant>& due, std::size_t chunk, Instant at) {
    if (due.size() <= chunk) due.resize(chunk + 1, Instant::never());
    due[chunk] = std::min(due[chunk], at);
}

namespace {

// Every entry of the slab's chunks that may be due by `now` to `look`,
// which says when that entry is next due (never: it is gone); each chunk
// read keeps the earliest.
template <typename Slab, typename Look>
void look_at_due_chunks(std::vector<Instant>& due, const Slab& slab, Instant now, const Look& look) {
    constexpr std::size_t k_chunk = Slab::k_chunk;
    for (std::size_t c = 0; c < due.size(); ++c) {
        if (due[c] > now) continue;
        Instant next = Instant::never();
        const std::size_t end = std::min(slab.size(), (c + 1) * k_chunk);
        for (std::size_t i = c * k_chunk; i < end; ++i) next = std::min(next, look(static_cast<std::uint32_t>(i)));
        due[c] = next;
    }
}

} // namespace

// Reports what is over: finished connections past their linger, idle ones
// past the idle limit; and forgets ends of connections older than 2 MSL.
void Analyzer::sweep(Instant now) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> over;
    look_at_due_chunks(flows_due_, flows_, now, [&](std::uint32_t slot) {
        const auto& t = flows_[slot];
        if (!t.live()) return Instant::never();
        const Duration quiet = now - t.last_seen();
        if ((t.finished() && quiet >= limits_.linger) || quiet >= limits_.idle) {
            if (!t.finished()) ++counts_.evicted_idle;
            over.emplace_back(t.id(), slot);
            return Instant::never();
        }
        // An unfinished one can finish only with a packet to come: then it lingers from then on.
        return t.finished() ? t.last_seen() + limits_.linger : std::min(t.last_seen() + limits_.idle, now + limits_.linger);
    });
    report_all(over, true);
    look_at_due_chunks(ended_due_, ended_, now, [&](std::uint32_t i) {
        Ended& e = ended_[i];
        if (!e.live) return Instant::never();
        if (now - e.at < limits_.linger) return e.at + limits_.linger;
        ended_index_.erase_hashed(hash_of(e.key, e.v6), [&](std::uint32_t id) { return id == i; });
        release(e.key, e.v6);
        e.live = false;
        ended_.give_back(i);
        return Instant::never();
    });
}

// The table is full: the least recently active eighth is reported now, so
// that a flood of new 4-tuples costs one scan per many insertions.
void Analyzer::evict_oldest() {
    std::vector<std::pair<Instant, std::uint32_t>> by_age;
    by_age.reserve(index_.size());
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot)
        if (flows_[slot].live()) by_age.emplace_back(flows_[slot].last_seen(), slot);
    const std::size_t n = std::max<std::size_t>(1, by_age.size() / 8);
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(n - 1), by_age.end());
    by_age.resize(n);
    counts_.evicted_full += n;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> by_id;
    for (const auto& [at, slot] : by_age) by_id.emplace_back(flows_[slot].id(), slot);
    report_all(by_id, true);
}

void Analyzer::report_all(std::vector<std::pair<std::uint64_t, std::uint32_t>>& by_id, bool remember) {
    // Slots are mostly taken in the order connections begin: often sorted already.
    if (!std::is_sorted(by_id.begin(), by_id.end())) std::sort(by_id.begin(), by_id.end());
    for (const auto& [id, slot] : by_id) report_and_remove(slot, remember);
}

void Analyzer::finish() {
    drain();
    moment_ = k_end_moment;
    // Made whole at once (a capture's end can hold a million): no regrowth.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    order.reserve(index_.size());
    for (std::uint32_t slot = 0; slot < flows_.size(); ++slot)
        if (flows_[slot].live()) order.emplace_back(flows_[slot].id(), slot);
    report_all(order, false);
    flows_.clear();
    flows_due_.clear();
    index_ = wire::TupleIndex{80};
}

} // namespace teardown::analyze
