#include "watch/metrics.hpp"

namespace teardown::watch {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string label_value(std::string_view v) {
    std::string s;
    for (const char c : v) {
        if (c == '\\' || c == '"') s += '\\';
        if (c == '\n') {
            s += "\\n";
            continue;
        }
        s += c;
    }
    return s;
}

} // namespace

std::string WatchMetrics::prometheus_text() const {
    std::string out;
    family(out, "teardown_watch_endings_total", "counter", "TCP connections that ended, by how and by who closed first");
    for (const auto& [key, n] : endings)
        out += "teardown_watch_endings_total{ending=\"" + std::string{to_string(key.first)} + "\",closer=\"" +
               std::string{to_string(key.second)} + "\"} " + std::to_string(n) + "\n";
    family(out, "teardown_watch_resets_sent_total", "counter", "RSTs this host sent, by the kernel's reset reason");
    for (const auto& [reason, n] : resets_sent)
        out += "teardown_watch_resets_sent_total{reason=\"" + label_value(reason) + "\"} " + std::to_string(n) + "\n";
    family(out, "teardown_watch_resets_received_total", "counter", "RSTs that reset a connection of this host");
    out += "teardown_watch_resets_received_total " + std::to_string(resets_received) + "\n";
    family(out, "teardown_watch_retransmits_total", "counter", "TCP segments retransmitted");
    out += "teardown_watch_retransmits_total " + std::to_string(retransmits) + "\n";
    family(out, "teardown_watch_sockets", "gauge", "TCP sockets per state, from the latest sock_diag dump");
    for (const auto& [state, n] : sockets)
        out += "teardown_watch_sockets{state=\"" + std::string{to_string(state)} + "\"} " + std::to_string(n) + "\n";
    family(out, "teardown_watch_alerts_total", "counter", "abnormal patterns flagged, by kind");
    for (const auto& [kind, n] : alerts)
        out += "teardown_watch_alerts_total{kind=\"" + std::string{to_string(kind)} + "\"} " + std::to_string(n) + "\n";
    family(out, "teardown_watch_events_total", "counter", "kernel events received");
    out += "teardown_watch_events_total " + std::to_string(events) + "\n";
    family(out, "teardown_watch_events_lost_total", "counter", "kernel events lost: the ring buffer was full");
    out += "teardown_watch_events_lost_total " + std::to_string(events_lost) + "\n";
    family(out, "teardown_watch_tracked_connections", "gauge", "connections being followed now");
    out += "teardown_watch_tracked_connections " + std::to_string(tracked) + "\n";
    family(out, "teardown_watch_source_info", "gauge", "where the events come from: bpf or sock_diag");
    out += "teardown_watch_source_info{source=\"" + label_value(source) + "\"} 1\n";
    return out;
}

} // namespace teardown::watch
