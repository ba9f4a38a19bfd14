#include "report/connection_report.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace teardown::report {

namespace {

using analyze::ConnectionRecord;

std::string seconds(Duration d) { return fmt::format("{:.6f}", d.count_seconds()); }
std::string epoch(Instant t) { return fmt::format("{:.6f}", t.seconds()); }

std::string optional_word(const auto& v) { return v ? std::string{to_string(*v)} : std::string{"-"}; }

std::string utc_date(Instant t) {
    const std::time_t s = static_cast<std::time_t>(t.nanos() / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", &tm);
    return buf;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

nlohmann::json json_of(const ConnectionRecord& r) {
    nlohmann::json j;
    j["id"] = r.id;
    j["uid"] = r.uid();
    j["client"] = r.client.to_string();
    j["server"] = r.server.to_string();
    j["client_inferred"] = r.client_inferred;
    j["start"] = r.start.seconds();
    j["end"] = r.end.seconds();
    j["duration"] = (r.end - r.start).count_seconds();
    const auto dir = [](const analyze::DirectionCounts& c) {
        return nlohmann::json{{"packets", c.packets}, {"bytes", c.bytes}, {"ip_bytes", c.ip_bytes},
                              {"retransmissions", c.retransmissions}, {"fins", c.fins}, {"rsts", c.rsts}};
    };
    j["from_client"] = dir(r.from_client);
    j["from_server"] = dir(r.from_server);
    j["ending"] = to_string(r.ending);
    j["closer"] = to_string(r.closer);
    j["pattern"] = r.pattern ? nlohmann::json(to_string(*r.pattern)) : nlohmann::json(nullptr);
    j["reset_by"] = r.reset_by ? nlohmann::json(to_string(*r.reset_by)) : nlohmann::json(nullptr);
    j["reset_phase"] = r.reset_phase ? nlohmann::json(to_string(*r.reset_phase)) : nlohmann::json(nullptr);
    auto anomalies = nlohmann::json::array();
    r.anomalies.for_each([&](Anomaly a) { anomalies.push_back(to_string(a)); });
    j["anomalies"] = anomalies;
    j["first_fin"] = r.first_fin ? nlohmann::json(r.first_fin->seconds()) : nlohmann::json(nullptr);
    j["last_ack"] = r.last_ack ? nlohmann::json(r.last_ack->seconds()) : nlohmann::json(nullptr);
    j["close_duration"] = r.close_duration ? nlohmann::json(r.close_duration->count_seconds()) : nlohmann::json(nullptr);
    j["half_close_duration"] =
        r.half_close_duration ? nlohmann::json(r.half_close_duration->count_seconds()) : nlohmann::json(nullptr);
    j["completeness"] = r.completeness;
    j["conn_state"] = r.zeek_conn_state;
    j["history"] = r.zeek_history;
    return j;
}

// The table's columns, for its header and its rows alike.
constexpr const char* k_table_row = "{:>5} {:<24} {:<24} {:<20} {:<7} {:<12} {:<6} {:<12} {:>13} {:>9}  {}";

constexpr const char* k_csv_columns =
    "id,uid,client,server,client_inferred,start,end,duration,client_packets,client_bytes,server_packets,server_bytes,"
    "ending,closer,pattern,reset_by,reset_phase,anomalies,first_fin,last_ack,close_duration,half_close_duration,"
    "conn_state,history";

} // namespace

std::string records_header(RecordFormat f, Instant opened) {
    switch (f) {
    case RecordFormat::table:
        return fmt::format(k_table_row, "id", "client", "server",
                           "ending", "closer", "pattern", "state", "history", "pkts c/s", "close s", "anomalies");
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
    const std::string anomalies = r.anomalies.to_string();
    switch (f) {
    case RecordFormat::table:
        return fmt::format(k_table_row, r.id,
                           r.client.to_string() + (r.client_inferred ? "?" : ""), r.server.to_string(), to_string(r.ending),
                           to_string(r.closer), optional_word(r.pattern), r.zeek_conn_state, r.zeek_history,
                           fmt::format("{}/{}", r.from_client.packets, r.from_server.packets),
                           r.close_duration ? fmt::format("{:.3f}", r.close_duration->count_seconds()) : "-",
                           anomalies.empty() ? "-" : anomalies);
    case RecordFormat::json: return json_of(r).dump();
    case RecordFormat::csv: {
        const auto t = [](const std::optional<Instant>& i) { return i ? epoch(*i) : std::string{}; };
        const auto d = [](const std::optional<Duration>& x) { return x ? seconds(*x) : std::string{}; };
        return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", r.id, r.uid(),
                           csv_field(r.client.to_string()), csv_field(r.server.to_string()), r.client_inferred ? 1 : 0,
                           epoch(r.start), epoch(r.end), seconds(r.end - r.start), r.from_client.packets, r.from_client.bytes,
                           r.from_server.packets, r.from_server.bytes, to_string(r.ending), to_string(r.closer),
                           r.pattern ? std::string{to_string(*r.pattern)} : "",
                           r.reset_by ? std::string{to_string(*r.reset_by)} : "",
                           r.reset_phase ? std::string{to_string(*r.reset_phase)} : "", csv_field(r.anomalies.to_string(';')),
                           t(r.first_fin), t(r.last_ack), d(r.close_duration), d(r.half_close_duration), r.zeek_conn_state,
                           r.zeek_history);
    }
    case RecordFormat::zeek:
        return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\ttcp\t-\t{}\t{}\t{}\t{}\t-\t-\t0\t{}\t{}\t{}\t{}\t{}\t(empty)", epoch(r.start),
                           r.uid(), r.client.addr.to_string(), r.client.port, r.server.addr.to_string(), r.server.port,
                           seconds(r.end - r.start), r.from_client.bytes, r.from_server.bytes, r.zeek_conn_state,
                           r.zeek_history.empty() ? "-" : r.zeek_history, r.from_client.packets, r.from_client.ip_bytes,
                           r.from_server.packets, r.from_server.ip_bytes);
    }
    return "";
}

std::string records_footer(RecordFormat f, Instant closed) {
    return f == RecordFormat::zeek ? "#close\t" + utc_date(closed) : "";
}

void Summary::add(const ConnectionRecord& r) {
    ++connections_;
    ++endings_[std::string{to_string(r.ending)}];
    ++closers_[std::string{to_string(r.closer)}];
    ++conn_states_[r.zeek_conn_state];
    r.anomalies.for_each([&](Anomaly a) { ++anomalies_[std::string{to_string(a)}]; });
    if (r.reset_by) ++resets_by_sender_[(*r.reset_by == Side::client ? r.client : r.server).to_string()];
    if (r.close_duration) close_seconds_.push_back(r.close_duration->count_seconds());
}

namespace {

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

std::vector<std::pair<std::string, std::uint64_t>> top(const std::map<std::string, std::uint64_t>& m, std::size_t n) {
    std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > n) v.resize(n);
    return v;
}

} // namespace

std::string Summary::text() const {
    std::string out = fmt::format("{} connections\n", connections_);
    const auto line = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
        if (m.empty()) return;
        out += fmt::format("  {:<10}", title);
        for (const auto& [k, n] : top(m, 32)) out += fmt::format(" {} {}", k, n);
        out += "\n";
    };
    line("endings", endings_);
    line("closers", closers_);
    line("zeek", conn_states_);
    line("anomalies", anomalies_);
    if (!close_seconds_.empty())
        out += fmt::format("  close duration (first FIN to last ACK): p50 {:.3f} s, p90 {:.3f} s, p99 {:.3f} s, max {:.3f} s\n",
                           percentile(close_seconds_, 0.5), percentile(close_seconds_, 0.9),
                           percentile(close_seconds_, 0.99), *std::max_element(close_seconds_.begin(), close_seconds_.end()));
    if (!resets_by_sender_.empty()) {
        out += "  resets sent by";
        for (const auto& [k, n] : top(resets_by_sender_, 5)) out += fmt::format(" {} {}", k, n);
        out += "\n";
    }
    return out;
}

std::string Summary::json() const {
    nlohmann::json j;
    j["connections"] = connections_;
    j["endings"] = endings_;
    j["closers"] = closers_;
    j["conn_states"] = conn_states_;
    j["anomalies"] = anomalies_;
    if (!close_seconds_.empty())
        j["close_duration"] = {{"p50", percentile(close_seconds_, 0.5)},
                               {"p90", percentile(close_seconds_, 0.9)},
                               {"p99", percentile(close_seconds_, 0.99)},
                               {"max", *std::max_element(close_seconds_.begin(), close_seconds_.end())}};
    j["resets_by_sender"] = nlohmann::json(top(resets_by_sender_, 10));
    return nlohmann::json{{"summary", j}}.dump();
}

} // namespace teardown::report
