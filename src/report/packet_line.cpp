#include "report/packet_line.hpp"

#include <ctime>

#include <fmt/format.h>

#include "report/tcp_option_text.hpp"

namespace teardown::report {

namespace {

std::string endpoint_text(const wire::IpAddress& a, std::uint16_t port) {
    // tcpdump joins address and port with a dot for both families.
    return a.to_string() + "." + std::to_string(port);
}

std::string ts_text(Instant ts) {
    const std::int64_t ns = ts.nanos();
    return fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
}

} // namespace

std::string format_time(Instant ts, Instant first, TimeFormat format) {
    switch (format) {
    case TimeFormat::epoch: return ts_text(ts);
    case TimeFormat::relative: {
        const std::int64_t ns = (ts - first).count_nanos();
        return fmt::format("{}{}.{:06}", ns < 0 ? "-" : "", std::abs(ns) / 1'000'000'000, std::abs(ns) % 1'000'000'000 / 1000);
    }
    case TimeFormat::utc: {
        const std::int64_t ns = ts.nanos();
        std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1'000'000'000 / 1000);
    }
    }
    return ts_text(ts);
}

std::string packet_text(const wire::DecodedPacket& p, const PacketContext& c, TimeFormat format) {
    std::string out = format_time(c.ts, c.first_ts, format);
    if (!c.interface_name.empty()) out += " " + c.interface_name;
    for (std::uint8_t i = 0; i < p.link_view.vlan_count; ++i) out += fmt::format(" vlan {}", p.link_view.vlan_ids[i]);
    if (!p.is_ip) return out + fmt::format(" ethertype 0x{:04x}, length {}", p.link_view.ethertype, c.orig_len);
    out += p.ip_version == wire::IpVersion::v4 ? " IP " : " IP6 ";
    if (!p.is_tcp()) {
        out += p.src().to_string() + " > " + p.dst().to_string() + ": ";
        if (p.fragment && p.protocol == 6) return out + fmt::format("tcp fragment, length {}", c.orig_len);
        return out + fmt::format("ip-proto-{}, length {}", p.protocol, c.orig_len);
    }
    const auto& t = *p.tcp;
    out += endpoint_text(p.src(), t.src_port()) + " > " + endpoint_text(p.dst(), t.dst_port()) + ": Flags [" +
           t.flags().to_tcpdump() + "]";
    const auto len = static_cast<std::uint32_t>(t.payload_length());
    if (len > 0) out += fmt::format(", seq {}:{}", t.seq().raw(), (t.seq() + len).raw());
    else out += fmt::format(", seq {}", t.seq().raw());
    if (t.flags().ack_set()) out += fmt::format(", ack {}", t.ack().raw());
    out += fmt::format(", win {}", t.window());
    if (t.flags().urg_set()) out += fmt::format(", urg {}", t.urgent());
    if (!t.options().empty()) {
        out += ", options [";
        auto it = t.option_iterator();
        wire::TcpOptionView o;
        bool first = true;
        while (it.next(o)) {
            if (!first) out += ",";
            first = false;
            out += tcp_option_text(o.kind, o.data);
        }
        if (it.malformed()) out += first ? "malformed" : ",malformed";
        out += "]";
    }
    out += fmt::format(", length {}", len);
    if (p.fragment) out += " (fragment)";
    if (p.tcp_checksum() == wire::ChecksumStatus::invalid) out += " [bad tcp cksum]";
    if (c.closing && c.closing->is_closing()) out += "  -- " + c.closing->text();
    return out;
}

nlohmann::json packet_json(const wire::DecodedPacket& p, const PacketContext& c) {
    nlohmann::json j;
    j["n"] = c.number;
    j["ts"] = ts_text(c.ts);
    j["interface"] = c.interface_id;
    j["link"] = std::string{wire::to_string(p.link)};
    if (p.link_view.vlan_count > 0) {
        auto v = nlohmann::json::array();
        for (std::uint8_t i = 0; i < p.link_view.vlan_count; ++i) v.push_back(p.link_view.vlan_ids[i]);
        j["vlan"] = v;
    }
    j["orig_len"] = c.orig_len;
    if (!p.is_ip) {
        j["ethertype"] = p.link_view.ethertype;
        return j;
    }
    j["ip_version"] = p.ip_version == wire::IpVersion::v4 ? 4 : 6;
    j["src"] = p.src().to_string();
    j["dst"] = p.dst().to_string();
    j["ttl"] = p.ttl;
    j["protocol"] = p.protocol;
    j["ip_fragment"] = p.fragment;
    if (p.ip_version == wire::IpVersion::v4) j["ip_checksum"] = wire::to_string(p.ip_checksum());
    if (!p.is_tcp()) return j;
    const auto& t = *p.tcp;
    j["sport"] = t.src_port();
    j["dport"] = t.dst_port();
    j["flags"] = t.flags().to_tcpdump();
    j["flag_bits"] = t.flags().bits();
    j["seq"] = t.seq().raw();
    j["ack"] = t.ack().raw();
    j["win"] = t.window();
    j["len"] = t.payload_length();
    j["header_len"] = t.header_length();
    auto opts = nlohmann::json::array();
    auto it = t.option_iterator();
    wire::TcpOptionView o;
    while (it.next(o)) opts.push_back(tcp_option_json(o.kind, o.data));
    if (it.malformed()) opts.push_back({{"kind", "malformed"}, {"offset", 20 + it.offset()}});
    j["options"] = opts;
    j["tcp_checksum"] = wire::to_string(p.tcp_checksum());
    if (c.closing && c.closing->is_closing()) {
        j["closing"] = std::string{analyze::to_string(c.closing->kind)};
        j["closing_from"] = std::string{teardown::to_string(c.closing->from)};
        j["closing_label"] = c.closing->text();
    }
    return j;
}

std::string malformed_text(const PacketContext& c, const std::string& reason, TimeFormat format) {
    return format_time(c.ts, c.first_ts, format) + " [malformed: " + reason + "]";
}

nlohmann::json malformed_json(const PacketContext& c, const std::string& reason) {
    return {{"n", c.number}, {"ts", ts_text(c.ts)}, {"interface", c.interface_id}, {"malformed", reason}};
}

} // namespace teardown::report
