#include "watch/record_text.hpp"

#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace teardown::watch {

std::string errno_name(int e) {
    if (e == 0) return "0";
    const char* n = strerrorname_np(e);
    return n ? n : std::to_string(e);
}

namespace {

std::string clock_text(Instant t) {
    const auto secs = static_cast<std::time_t>(t.nanos() / 1'000'000'000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return fmt::format("{}.{:03}", buf, (t.nanos() / 1'000'000) % 1000);
}

} // namespace

std::string record_json(const WatchRecord& r) {
    nlohmann::ordered_json j;
    j["kind"] = "ending";
    j["t"] = r.closed.seconds();
    j["cookie"] = r.cookie;
    j["netns"] = r.netns;
    j["local"] = r.tuple.local.to_string();
    j["remote"] = r.tuple.remote.to_string();
    j["role"] = r.local_is_client ? "client" : "server";
    j["role_inferred"] = r.role_inferred;
    j["pid"] = r.pid;
    j["comm"] = r.comm;
    j["cgroup"] = r.cgroup;
    j["ending"] = to_string(r.ending);
    j["closer"] = to_string(r.closer);
    j["reset_by"] = r.reset_by ? nlohmann::ordered_json(std::string{to_string(*r.reset_by)}) : nlohmann::ordered_json();
    j["reset_reason"] = r.reset_reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.reset_reason);
    j["error"] = r.error == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(errno_name(r.error));
    j["retransmissions"] = r.retransmissions;
    j["time_wait"] = r.time_wait;
    j["duration"] = (r.closed - r.opened).count_seconds();
    auto& path = j["path"] = nlohmann::ordered_json::array();
    for (const auto s : r.path) path.push_back(std::string{to_string(s)});
    return j.dump();
}

std::string alert_json(const Alert& a) {
    nlohmann::ordered_json j;
    j["kind"] = "alert";
    j["t"] = a.at.seconds();
    j["alert"] = to_string(a.kind);
    j["text"] = a.text;
    j["cookie"] = a.cookie;
    j["pid"] = a.pid;
    return j.dump();
}

std::string record_row_header() {
    return fmt::format("{:<12} {:<6} {:<44} {:<20} {:<7} {:<24} {:<11} {:>5} {:>8}  {}", "time", "role", "local -> remote",
                       "ending", "closer", "reset", "error", "retr", "dur s", "owner");
}

std::string record_row(const WatchRecord& r) {
    std::string reset = r.reset_by ? std::string{to_string(*r.reset_by)} : "-";
    if (!r.reset_reason.empty()) reset += " " + r.reset_reason;
    std::string ending{to_string(r.ending)};
    if (r.time_wait) ending += " +tw";
    const std::string owner = r.pid == 0 ? "-" : r.comm + "(" + std::to_string(r.pid) + ")";
    return fmt::format("{:<12} {:<6} {:<44} {:<20} {:<7} {:<24} {:<11} {:>5} {:>8.3f}  {}", clock_text(r.closed),
                       r.local_is_client ? (r.role_inferred ? "client?" : "client") : (r.role_inferred ? "server?" : "server"),
                       r.tuple.local.to_string() + " -> " + r.tuple.remote.to_string(), ending, to_string(r.closer), reset,
                       r.error == 0 ? "-" : errno_name(r.error), r.retransmissions, (r.closed - r.opened).count_seconds(), owner);
}

} // namespace teardown::watch
