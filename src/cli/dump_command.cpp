// `teardown dump CAPTURE`: one line a packet, tcpdump style; with --closing
// only the packets that close connections, each named for its role.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "analyze/closing_packet.hpp"
#include "capture/capture_reader.hpp"
#include "capture/packet_filter.hpp"
#include "cli/commands.hpp"
#include "report/packet_line.hpp"
#include "wire/packet.hpp"

namespace teardown::cli {

namespace {

report::TimeFormat time_format(DumpTime t) {
    switch (t) {
    case DumpTime::utc: return report::TimeFormat::utc;
    case DumpTime::epoch: return report::TimeFormat::epoch;
    case DumpTime::relative: return report::TimeFormat::relative;
    }
    return report::TimeFormat::utc;
}

} // namespace

int dump_capture(const DumpOptions& o) {
    const report::TimeFormat time = time_format(o.time);
    auto reader = capture::CaptureReader::open(o.path);
    if (!reader) {
        std::fprintf(stderr, "teardown dump: %s\n", reader.error().message.c_str());
        return 1;
    }
    // pcapng files may mix link types: one compiled filter per link type.
    std::map<wire::LinkType, capture::PacketFilter> filters;
    analyze::ClosingClassifier closing;
    capture::Frame frame;
    std::uint64_t number = 0, printed = 0, malformed = 0;
    Instant first_ts;
    std::string line;
    for (;;) {
        auto more = reader->next(frame);
        if (!more) {
            std::fflush(stdout);
            std::fprintf(stderr, "teardown dump: %s\n", more.error().message.c_str());
            return 1;
        }
        if (!*more) break;
        ++number;
        if (number == 1) first_ts = frame.ts;
        if (!o.filter.empty()) {
            auto it = filters.find(frame.link);
            if (it == filters.end()) {
                auto compiled = capture::PacketFilter::compile(frame.link, o.filter);
                if (!compiled) {
                    std::fprintf(stderr, "teardown dump: %s\n", compiled.error().message.c_str());
                    return 1;
                }
                it = filters.emplace(frame.link, std::move(*compiled)).first;
            }
            if (!it->second.matches(frame)) continue;
        }
        report::PacketContext c;
        c.number = number;
        c.ts = frame.ts;
        c.first_ts = first_ts;
        c.interface_id = frame.interface_id;
        c.orig_len = frame.orig_len;
        if (reader->interfaces().size() > 1) {
            const auto& ifc = reader->interfaces()[frame.interface_id];
            c.interface_name = ifc.name.empty() ? "if" + std::to_string(frame.interface_id) : ifc.name;
        }
        auto decoded = wire::decode(frame.link, frame.data, frame.orig_len);
        if (!decoded) {
            ++malformed;
            if (o.closing_only) continue;
            const std::string reason = decoded.error().message + " (offset " + std::to_string(frame.offset) + ")";
            line = o.json ? report::malformed_json(c, reason).dump() : report::malformed_text(c, reason, time);
        } else {
            const auto& p = *decoded;
            if (p.is_tcp()) {
                const auto& t = *p.tcp;
                c.closing = closing.on_segment({p.src(), t.src_port()}, {p.dst(), t.dst_port()}, t.flags(), t.seq(), t.ack(),
                                               static_cast<std::uint32_t>(t.payload_length()), frame.ts);
            }
            if (o.closing_only && !(c.closing && c.closing->is_closing())) continue;
            line = o.json ? report::packet_json(p, c).dump() : report::packet_text(p, c, time);
        }
        std::fputs(line.c_str(), stdout);
        std::fputc('\n', stdout);
        if (o.count != 0 && ++printed >= o.count) break;
    }
    std::fflush(stdout);
    if (malformed > 0)
        std::fprintf(stderr, "teardown dump: %s: %llu of %llu packets could not be decoded\n", o.path.c_str(),
                     static_cast<unsigned long long>(malformed), static_cast<unsigned long long>(number));
    if (reader->warning()) {
        std::fprintf(stderr, "teardown dump: warning: %s\n", reader->warning()->message.c_str());
        return 2;
    }
    return 0;
}

void add_dump_command(CLI::App& app) {
    auto o = std::make_shared<DumpOptions>();
    auto* cmd = app.add_subcommand("dump", "print a capture's packets one a line; --closing names the closing packets");
    cmd->add_option("capture", o->path, "pcap, pcapng or gzip-compressed capture file; - reads stdin")->required();
    cmd->add_flag("--closing", o->closing_only, "only FIN, RST and the ACKs of FINs, each named for its role in the close");
    cmd->add_option("--filter", o->filter, "a tcpdump filter expression, e.g. 'tcp port 80'");
    cmd->add_flag("--json", o->json, "one JSON object a line");
    cmd->add_option("--time", o->time, "utc (time of day), epoch (seconds) or relative (to the first packet)")
        ->transform(CLI::CheckedTransformer(std::map<std::string, DumpTime>{
            {"utc", DumpTime::utc}, {"epoch", DumpTime::epoch}, {"relative", DumpTime::relative}}));
    cmd->add_option("--count,-c", o->count, "stop after printing this many packets");
    cmd->callback([o] {
        if (int rc = dump_capture(*o); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
