#include "report/connection_report.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_append.hpp"

namespace teardown::report {

namespace {

using analyze::ConnectionRecord;

std::string utc_date(Instant t) {
    const std::time_t s = static_cast<std::time_t>(t.nanos() / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", &tm);
    return buf;
}

// The table's columns, the header's and the rows' alike: the least a field
// takes (a longer one runs on). The id, the packets and the close time are
// right-aligned, the rest left-aligned, and the anomalies close the line.
namespace column {
constexpr std::size_t id = 5, client = 24, server = 24, ending = 20, closer = 7, pattern = 12, state = 6, history = 12,
                      packets = 13, close = 9;
constexpr std::size_t all = id + client + server + ending + closer + pattern + state + history + packets + close;
} // namespace column

// A left-aligned column: what `write` writes, then spaces to `width`, then
// the space between columns. Always inline: a call per field cost 1% of a
// whole table's run.
template <std::invocable Write>
[[gnu::always_inline]] inline void left(TextCursor& c, std::size_t width, const Write& write) {
    const char* from = c.at();
    write();
    c.pad_from(from, width).put(' ');
}
[[gnu::always_inline]] inline void left(TextCursor& c, std::size_t width, std::string_view text) {
    left(c, width, [&] { c.put(text); });
}

constexpr const char* k_csv_columns =
    "id,uid,client,server,client_inferred,start,end,duration,client_packets,client_bytes,server_packets,server_bytes,"
    "ending,closer,pattern,reset_by,reset_phase,anomalies,first_fin,last_ack,close_duration,half_close_duration,"
    "conn_state,history";

} // namespace

std::string records_header(RecordFormat f, Instant opened) {
    switch (f) {
    case RecordFormat::table: {
        std::string out;
        append_written(out, column::all + 64 + TextCursor::k_max_pad, [](TextCursor& c) {
            c.pad_before(2, column::id).put("id ");
            for (const auto& [width, name] : {std::pair{column::client, "client"}, {column::server, "server"},
                                              {column::ending, "ending"}, {column::closer, "closer"},
                                              {column::pattern, "pattern"}, {column::state, "state"},
                                              {column::history, "history"}})
                left(c, width, name);
            c.pad_before(8, column::packets).put("pkts c/s ").pad_before(7, column::close).put("close s  anomalies");
        });
        return out;
    }
    case RecordFormat::json: return "";
    case RecordFormat::csv: return k_csv_columns;
    case RecordFormat::zeek:
        return "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t" +
               utc_date(opened) +
               "\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\t"
               "conn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\t"
               "tunnel_parents\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\t"
               "bool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";
    }
    return "";
}

std::string record_line(RecordFormat f, const ConnectionRecord& r) {
    std::string out;
    append_record(out, f, r);
    return out;
}

namespace {

constexpr std::size_t longest(const auto& names) {
    std::size_t n = 0;
    for (const auto name : names) n = std::max(n, name.size());
    return n;
}

// The most a CSV or conn.log line takes, its history aside: every field at
// its longest, and a separator each.
constexpr std::size_t k_line_room = 2 * (TextCursor::k_max_uint + 1) + ConnectionRecord::k_uid_length + 1 +
                                    2 * (wire::Endpoint::k_max_text + 1) + 4 + 7 * (TextCursor::k_max_seconds6 + 1) +
                                    8 * (TextCursor::k_max_uint + 1) + longest(k_ending_names) + longest(k_closer_names) +
                                    longest(k_pattern_names) + longest(k_side_names) + longest(k_reset_phase_names) +
                                    AnomalySet::k_max_text + 16 /* conn_state */ + 64 /* conn.log's constant fields */;

// `uid` is the record's, or a stand-in of its length where the line is pending.
void append_csv(std::string& out, const ConnectionRecord& r, const ConnectionRecord::Uid& uid) {
    // No field can hold a comma, a quote or a newline (endpoints, words,
    // ';'-joined anomalies, history letters), so none needs quoting.
    append_written(out, k_line_room + r.zeek_history.size(), [&](TextCursor& c) {
        const auto word = [&](const auto& v) {
            c.put(',');
            if (v) c.put(to_string(*v));
        };
        const auto time = [&](const auto& t) {
            c.put(',');
            if (t) c.seconds6(*t);
        };
        c.uint(r.id).put(',').put({uid.data(), uid.size()}).put(',');
        r.client.write_to(c);
        c.put(',');
        r.server.write_to(c);
        c.put(r.client_inferred ? std::string_view{",1,"} : std::string_view{",0,"});
        c.seconds6(r.start).put(',').seconds6(r.end).put(',').seconds6(r.end - r.start);
        for (const std::uint64_t n : {r.from_client.packets, r.from_client.bytes, r.from_server.packets, r.from_server.bytes})
            c.put(',').uint(n);
        c.put(',').put(to_string(r.ending)).put(',').put(to_string(r.closer));
        word(r.pattern);
        word(r.reset_by);
        word(r.reset_phase);
        c.put(',');
        r.anomalies.write_to(c, ';');
        time(r.first_fin);
        time(r.last_ack);
        time(r.close_duration);
        time(r.half_close_duration);
        c.put(',').put(r.zeek_conn_state).put(',').put(r.zeek_history);
    });
}

// The most a table row takes besides its history: every field at its
// longest and its column's width besides.
constexpr std::size_t k_table_room = k_line_room + column::all + 16 + TextCursor::k_max_pad;

// A row under the header, written as fast as a CSV line.
void append_table(std::string& out, const ConnectionRecord& r) {
    // The close time in seconds to three decimals, as fmt's "{:.3f}" rounds
    // its double: from the nanoseconds where the two cannot differ (not half
    // a millisecond exactly, and under 10^6 s, where the double is within
    // a nanosecond), else by fmt itself.
    char close[32] = "-";
    std::size_t close_length = 1;
    std::int64_t close_millis = -1;
    if (r.close_duration) {
        const std::int64_t ns = r.close_duration->count_nanos();
        if (ns >= 0 && ns < 1'000'000'000'000'000 && ns % 1'000'000 != 500'000) {
            close_millis = (ns + 500'000) / 1'000'000;
            close_length = TextCursor::digits(static_cast<std::uint64_t>(close_millis / 1000)) + 4;
        } else {
            close_length = fmt::format_to_n(close, sizeof close, "{:.3f}", r.close_duration->count_seconds()).size;
        }
    }
    append_written(out, k_table_room + r.zeek_history.size(), [&](TextCursor& c) {
        c.pad_before(TextCursor::digits(r.id), column::id).uint(r.id).put(' ');
        left(c, column::client, [&] {
            r.client.write_to(c);
            if (r.client_inferred) c.put('?');
        });
        left(c, column::server, [&] { r.server.write_to(c); });
        left(c, column::ending, to_string(r.ending));
        left(c, column::closer, to_string(r.closer));
        left(c, column::pattern, r.pattern ? to_string(*r.pattern) : std::string_view{"-"});
        left(c, column::state, r.zeek_conn_state);
        left(c, column::history, r.zeek_history);
        const std::uint64_t sent = r.from_client.packets, received = r.from_server.packets;
        c.pad_before(TextCursor::digits(sent) + 1 + TextCursor::digits(received), column::packets);
        c.uint(sent).put('/').uint(received).put(' ');
        c.pad_before(close_length, column::close);
        if (close_millis >= 0) {
            const auto thousandths = static_cast<unsigned>(close_millis % 1000);
            c.uint(static_cast<std::uint64_t>(close_millis / 1000)).put('.');
            c.put(static_cast<char>('0' + thousandths / 100)).put(static_cast<char>('0' + thousandths / 10 % 10));
            c.put(static_cast<char>('0' + thousandths % 10));
        } else {
            c.put({close, std::min(close_length, sizeof close)});
        }
        c.put("  ");
        if (r.anomalies.empty()) c.put('-');
        else r.anomalies.write_to(c, ',');
    });
}

// The most a JSON object takes besides its history: its keys and every value at its longest.
constexpr std::size_t k_json_room = k_line_room + 512;

// The record as one JSON object, written as nlohmann::json's dump() would
// write it, without building one (which took four to five times as long): keys in
// its order (sorted), no spaces, times and durations as seconds by
// nlohmann's own to_chars, absent ones null. No string holds a character
// JSON escapes (endpoints, vocabulary words, history letters, base-62 uids).
void append_json(std::string& out, const ConnectionRecord& r, const ConnectionRecord::Uid& uid) {
    append_written(out, k_json_room + r.zeek_history.size(), [&](TextCursor& c) {
        bool first = true;
        const auto key = [&](std::string_view k) {
            c.put(first ? std::string_view{"{\""} : std::string_view{",\""}).put(k).put("\":");
            first = false;
        };
        const auto quoted = [&](std::string_view k, const auto& write) {
            key(k);
            c.put('"');
            write();
            c.put('"');
        };
        const auto word = [&](std::string_view k, std::string_view text) { quoted(k, [&] { c.put(text); }); };
        const auto number = [&](std::string_view k, double v) {
            key(k);
            c.written_to(nlohmann::detail::to_chars(c.at(), c.at() + 32, v));
        };
        const auto optional_word = [&](std::string_view k, const auto& v) {
            if (v) return word(k, to_string(*v));
            key(k);
            c.put("null");
        };
        const auto optional_number = [&](std::string_view k, const auto& v, const auto& seconds) {
            if (v) return number(k, seconds(*v));
            key(k);
            c.put("null");
        };
        const auto at = [](Instant t) { return t.seconds(); };
        const auto span = [](Duration d) { return d.count_seconds(); };
        const auto counts = [&](std::string_view k, const analyze::DirectionCounts& d) {
            key(k);
            c.put("{\"bytes\":").uint(d.bytes).put(",\"fins\":").uint(d.fins).put(",\"ip_bytes\":").uint(d.ip_bytes);
            c.put(",\"packets\":").uint(d.packets).put(",\"retransmissions\":").uint(d.retransmissions);
            c.put(",\"rsts\":").uint(d.rsts).put('}');
        };
        key("anomalies");
        c.put('[');
        bool first_anomaly = true;
        r.anomalies.for_each([&](Anomaly a) {
            c.put(first_anomaly ? std::string_view{"\""} : std::string_view{",\""}).put(teardown::to_string(a)).put('"');
            first_anomaly = false;
        });
        c.put(']');
        quoted("client", [&] { r.client.write_to(c); });
        key("client_inferred");
        c.put(r.client_inferred ? std::string_view{"true"} : std::string_view{"false"});
        optional_number("close_duration", r.close_duration, span);
        word("closer", to_string(r.closer));
        key("completeness");
        c.uint(r.completeness);
        word("conn_state", r.zeek_conn_state);
        number("duration", span(r.end - r.start));
        number("end", at(r.end));
        word("ending", to_string(r.ending));
        optional_number("first_fin", r.first_fin, at);
        counts("from_client", r.from_client);
        counts("from_server", r.from_server);
        optional_number("half_close_duration", r.half_close_duration, span);
        word("history", r.zeek_history);
        key("id");
        c.uint(r.id);
        optional_number("last_ack", r.last_ack, at);
        optional_word("pattern", r.pattern);
        optional_word("reset_by", r.reset_by);
        optional_word("reset_phase", r.reset_phase);
        quoted("server", [&] { r.server.write_to(c); });
        number("start", at(r.start));
        word("uid", {uid.data(), uid.size()});
        c.put('}');
    });
}

void append_zeek(std::string& out, const ConnectionRecord& r, const ConnectionRecord::Uid& uid) {
    append_written(out, k_line_room + r.zeek_history.size(), [&](TextCursor& c) {
        c.seconds6(r.start).put('\t').put({uid.data(), uid.size()}).put('\t');
        r.client.addr.write_to(c);
        c.put('\t').uint(r.client.port).put('\t');
        r.server.addr.write_to(c);
        c.put('\t').uint(r.server.port).put("\ttcp\t-\t").seconds6(r.end - r.start);
        c.put('\t').uint(r.from_client.bytes).put('\t').uint(r.from_server.bytes);
        c.put('\t').put(r.zeek_conn_state).put("\t-\t-\t0\t");
        c.put(r.zeek_history.empty() ? std::string_view{"-"} : std::string_view{r.zeek_history});
        for (const std::uint64_t n : {r.from_client.packets, r.from_client.ip_bytes, r.from_server.packets, r.from_server.ip_bytes})
            c.put('\t').uint(n);
        c.put("\t(empty)");
    });
}

// A pending line's uid is cut out and made at the merge: a stand-in here saves making it twice.
void append_line(std::string& out, RecordFormat f, const ConnectionRecord& r, bool pending) {
    const auto uid = [&] { return pending ? ConnectionRecord::Uid{} : r.uid(); };
    switch (f) {
    case RecordFormat::table: append_table(out, r); return;
    case RecordFormat::json: append_json(out, r, uid()); return;
    case RecordFormat::csv: append_csv(out, r, uid()); return;
    case RecordFormat::zeek: append_zeek(out, r, uid()); return;
    }
}

} // namespace

void append_record(std::string& out, RecordFormat f, const ConnectionRecord& r) { append_line(out, f, r, false); }

namespace {

// A place in a line where a field is left out: where, how long it was, which.
struct Hole {
    std::size_t at{std::string::npos};
    std::size_t length{0};
    bool is_id{false};
};

} // namespace

PendingLine append_pending(std::string& block, RecordFormat f, ConnectionRecord& r) {
    PendingLine p;
    p.order = r.id;
    p.uid_seed = r.uid_seed();
    const std::uint64_t number = r.id;
    const std::size_t start = block.size();
    r.id = 0;
    append_line(block, f, r, true);
    r.id = number;
    const std::string_view line{block.data() + start, block.size() - start};
    // Where the id (written as 0) and the uid (a stand-in) sit in each format.
    Hole id{std::string::npos, 1, true};
    Hole uid{std::string::npos, ConnectionRecord::k_uid_length, false};
    switch (f) {
    case RecordFormat::table: id.at = 0, id.length = 5; break;  // right-aligned in five columns
    case RecordFormat::csv: id.at = 0, uid.at = 2; break;
    case RecordFormat::zeek: uid.at = line.find('\t') + 1; break;
    case RecordFormat::json:
        // Keys are unique and no value holds an unescaped quote, so these are found once.
        id.at = line.find("\"id\":0") + 5;
        uid.at = line.find("\"uid\":\"") + 7;
        break;
    }
    std::array<Hole, 2> holes{id, uid};
    if (holes[1].at < holes[0].at) std::swap(holes[0], holes[1]);  // absent ones (npos) last
    // Cut from the back, so the front one's place stays put; the back one's
    // place in the cut line is earlier by the front one's length.
    for (auto h = holes.rbegin(); h != holes.rend(); ++h)
        if (h->at != std::string::npos) block.erase(start + h->at, h->length);
    std::size_t shift = 0;
    for (const Hole& h : holes) {
        if (h.at == std::string::npos) continue;
        (h.is_id ? p.id_at : p.uid_at) = static_cast<std::uint32_t>(h.at - shift);
        shift += h.length;
    }
    return p;
}

void append_numbered(std::string& out, RecordFormat f, std::string_view text, const PendingLine& line, std::uint64_t id) {
    std::array<std::pair<std::uint32_t, bool>, 2> holes{{{line.id_at, true}, {line.uid_at, false}}};
    if (holes[1].first < holes[0].first) std::swap(holes[0], holes[1]);  // absent ones (k_none) last
    std::size_t from = 0;
    for (const auto& [at, is_id] : holes) {
        if (at == PendingLine::k_none) continue;
        out.append(text.substr(from, at - from));
        from = at;
        if (!is_id) out.append(ConnectionRecord::uid_of(line.uid_seed, id).data(), ConnectionRecord::k_uid_length);
        else if (f == RecordFormat::table)
            append_written(out, TextCursor::k_max_pad + TextCursor::k_max_uint,
                           [&](TextCursor& c) { c.pad_before(TextCursor::digits(id), column::id).uint(id); });
        else append_uint(out, id);
    }
    out.append(text.substr(from));
}

std::string records_footer(RecordFormat f, Instant closed) {
    return f == RecordFormat::zeek ? "#close\t" + utc_date(closed) : "";
}

namespace {

void count_conn_state(std::vector<std::pair<std::string_view, std::uint64_t>>& counts, std::string_view state, std::uint64_t n) {
    for (auto& [k, c] : counts)
        if (k == state) {
            c += n;
            return;
        }
    counts.emplace_back(state, n);
}

// The words counted at least once, in their alphabetical order, as the texts list them.
template <typename Counts, typename Names>
std::map<std::string_view, std::uint64_t> by_word(const Counts& counts, const Names& names) {
    std::map<std::string_view, std::uint64_t> m;
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] != 0) m.emplace(names[i], counts[i]);
    return m;
}

std::map<std::string_view, std::uint64_t> by_word(const std::vector<std::pair<std::string_view, std::uint64_t>>& counts) {
    return {counts.begin(), counts.end()};
}

std::map<std::string, std::uint64_t> by_text(const std::unordered_map<wire::IpAddress, std::uint64_t>& counts) {
    std::map<std::string, std::uint64_t> m;
    for (const auto& [e, n] : counts) m.emplace(e.to_string(), n);
    return m;
}

} // namespace

void Summary::add(const ConnectionRecord& r) {
    ++connections_;
    ++endings_[static_cast<std::size_t>(r.ending)];
    ++closers_[static_cast<std::size_t>(r.closer)];
    count_conn_state(conn_states_, r.zeek_conn_state, 1);
    r.anomalies.for_each([&](Anomaly a) { ++anomalies_[static_cast<std::size_t>(a)]; });
    if (r.reset_by) ++resets_by_sender_[(*r.reset_by == Side::client ? r.client : r.server).addr];
    if (r.close_duration) close_seconds_.push_back(r.close_duration->count_seconds());
}

void Summary::merge(const Summary& o) {
    connections_ += o.connections_;
    const auto add_each = [](auto& to, const auto& from) {
        for (std::size_t i = 0; i < to.size(); ++i) to[i] += from[i];
    };
    add_each(endings_, o.endings_);
    add_each(closers_, o.closers_);
    add_each(anomalies_, o.anomalies_);
    for (const auto& [k, n] : o.conn_states_) count_conn_state(conn_states_, k, n);
    for (const auto& [k, n] : o.resets_by_sender_) resets_by_sender_[k] += n;
    close_seconds_.insert(close_seconds_.end(), o.close_seconds_.begin(), o.close_seconds_.end());
}

namespace {

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

template <typename Key>
std::vector<std::pair<std::string, std::uint64_t>> top(const std::map<Key, std::uint64_t>& m, std::size_t n) {
    std::vector<std::pair<std::string, std::uint64_t>> v;
    for (const auto& [k, c] : m) v.emplace_back(std::string{k}, c);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > n) v.resize(n);
    return v;
}

} // namespace

std::string Summary::text() const {
    std::string out = fmt::format("{} connections\n", connections_);
    const auto line = [&](const char* title, const std::map<std::string_view, std::uint64_t>& m) {
        if (m.empty()) return;
        out += fmt::format("  {:<10}", title);
        for (const auto& [k, n] : top(m, 32)) out += fmt::format(" {} {}", k, n);
        out += "\n";
    };
    line("endings", by_word(endings_, k_ending_names));
    line("closers", by_word(closers_, k_closer_names));
    line("zeek", by_word(conn_states_));
    line("anomalies", by_word(anomalies_, k_anomaly_names));
    if (!close_seconds_.empty())
        out += fmt::format("  close duration (first FIN to last ACK): p50 {:.3f} s, p90 {:.3f} s, p99 {:.3f} s, max {:.3f} s\n",
                           percentile(close_seconds_, 0.5), percentile(close_seconds_, 0.9),
                           percentile(close_seconds_, 0.99), *std::max_element(close_seconds_.begin(), close_seconds_.end()));
    if (!resets_by_sender_.empty()) {
        out += "  resets sent by";
        for (const auto& [k, n] : top(by_text(resets_by_sender_), 5)) out += fmt::format(" {} {}", k, n);
        out += "\n";
    }
    return out;
}

std::string Summary::json() const {
    nlohmann::json j;
    j["connections"] = connections_;
    const auto object = [](const std::map<std::string_view, std::uint64_t>& m) {
        auto o = nlohmann::json::object();
        for (const auto& [k, n] : m) o[std::string{k}] = n;
        return o;
    };
    j["endings"] = object(by_word(endings_, k_ending_names));
    j["closers"] = object(by_word(closers_, k_closer_names));
    j["conn_states"] = object(by_word(conn_states_));
    j["anomalies"] = object(by_word(anomalies_, k_anomaly_names));
    if (!close_seconds_.empty())
        j["close_duration"] = {{"p50", percentile(close_seconds_, 0.5)},
                               {"p90", percentile(close_seconds_, 0.9)},
                               {"p99", percentile(close_seconds_, 0.99)},
                               {"max", *std::max_element(close_seconds_.begin(), close_seconds_.end())}};
    j["resets_by_sender"] = nlohmann::json(top(by_text(resets_by_sender_), 10));
    return nlohmann::json{{"summary", j}}.dump();
}

} // namespace teardown::report
