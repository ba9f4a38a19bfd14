#pragma once
// The records of several AnalyzerShards put back into the order and the
// numbers one Analyzer gives them, as they come: a record is handed on once
// no shard can still report one before it.
//
// Each shard reports in the order of (report moment, first packet); it says
// how far it has come (`reached`: nothing it reports later comes before
// that), and which connections it began (their first packets). A record's
// number is how many connections began at or before its first packet, in
// all shards: one analyzer's 1, 2, 3 ... The first packets are kept, 8
// bytes a connection, to count them.
#include <algorithm>
#include <compare>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace teardown::analyze {

struct ReportKey {
    std::uint64_t moment{0};        // Analyzer::report_moment()
    std::uint64_t first_packet{0};  // the connection's first packet's place in the capture
    auto operator<=>(const ReportKey&) const = default;
    static constexpr ReportKey end() { return {std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max()}; }
};

template <class Line>
class RecordMerge {
public:
    explicit RecordMerge(unsigned shards) : shards_(shards) {}

    // A record of shard `i`, in the order the shard reported them.
    void add(unsigned i, ReportKey key, Line line) { shards_[i].waiting.emplace_back(key, std::move(line)); }
    // Connections shard `i` began, by first packet, in order.
    void started(unsigned i, std::span<const std::uint64_t> first_packets) {
        auto& s = shards_[i].starts;
        s.insert(s.end(), first_packets.begin(), first_packets.end());
    }
    // Shard `i` reports nothing more before `key` (ReportKey::end(): nothing more at all).
    void reached(unsigned i, ReportKey key) { shards_[i].reached = std::max(shards_[i].reached, key); }

    // Every record no shard can precede any more, in order, to `emit(number, line)`.
    template <class Emit>
    void emit_ready(const Emit& emit) {
        for (;;) {
            // The shard whose next record comes first; an empty one may
            // still send one before `reached`, so nothing goes before that.
            // (Two shards never share a key: a first packet is one connection's.)
            Shard* next = nullptr;
            ReportKey bound = ReportKey::end();
            for (auto& s : shards_) {
                const ReportKey earliest = s.waiting.empty() ? s.reached : s.waiting.front().first;
                if (earliest < bound || (earliest == bound && !s.waiting.empty())) {
                    bound = earliest;
                    next = s.waiting.empty() ? nullptr : &s;
                }
            }
            if (next == nullptr) return;
            auto [key, line] = std::move(next->waiting.front());
            next->waiting.pop_front();
            emit(number_of(key.first_packet), line);
        }
    }
    // Records that wait for another shard to come on.
    std::size_t waiting() const {
        std::size_t n = 0;
        for (const auto& s : shards_) n += s.waiting.size();
        return n;
    }

private:
    struct Shard {
        std::deque<std::pair<ReportKey, Line>> waiting;
        std::vector<std::uint64_t> starts;
        std::size_t cursor{0};  // where the last count ended
        ReportKey reached{};
    };
    std::uint64_t number_of(std::uint64_t first_packet) {
        std::uint64_t n = 0;
        for (auto& s : shards_) n += at_most(s, first_packet);
        return n;
    }
    // How many of the shard's starts are at or before `x`: searched from
    // where the last search ended, widening, as records mostly come in the
    // order their connections began.
    static std::size_t at_most(Shard& s, std::uint64_t x) {
        const auto& v = s.starts;
        std::size_t lo = s.cursor, hi = s.cursor;
        for (std::size_t step = 1; hi < v.size() && v[hi] <= x; step *= 2) {
            lo = hi + 1;
            hi = std::min(v.size(), hi + step);
        }
        for (std::size_t step = 1; lo > 0 && v[lo - 1] > x; step *= 2) {
            hi = lo - 1;
            lo = lo > step ? lo - step : 0;
        }
        s.cursor = static_cast<std::size_t>(std::upper_bound(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(hi), x) - v.begin());
        return s.cursor;
    }
    std::vector<Shard> shards_;
};

} // namespace teardown::analyze
