#include "sim/run_files.hpp"

#include <cstdio>
#include <memory>

#include "capture/pcap_writer.hpp"
#include "wire/frame_builder.hpp"

namespace teardown::sim {

Result<std::size_t> write_run_pcap(const Scenario& scenario, const Run& run, const std::string& path) {
    return write_runs_pcap({{&scenario, &run, Duration::zero()}}, path);
}

Result<std::size_t> write_runs_pcap(const std::vector<RunInCapture>& runs, const std::string& path) {
    auto writer = capture::PcapWriter::create(path, wire::LinkType::ethernet);
    if (!writer) return writer.error();
    std::vector<std::byte> frame;
    std::size_t n = 0;
    for (const auto& [scenario, run, shift] : runs) {
        for (const auto& e : run->trace) {
            if (e.kind != TraceEntry::Kind::send) continue;
            const Transmission& t = run->transmissions[e.transmission];
            wire::FrameSpec spec;
            spec.link = wire::LinkType::ethernet;
            spec.layout = scenario->hosts[static_cast<std::size_t>(t.from)].config.option_layout;
            spec.src = t.segment.src;
            spec.dst = t.segment.dst;
            spec.tcp = t.segment.tcp;
            spec.payload = t.segment.payload;
            frame.clear();
            if (auto r = wire::build_frame(spec, frame); !r) return r.error();
            if (auto r = writer->write(t.sent + shift, frame); !r) return r.error();
            ++n;
        }
    }
    if (auto r = writer->close(); !r) return r.error();
    return n;
}

namespace {

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

} // namespace

Result<std::size_t> write_run_events(const Scenario& scenario, const Run& run, const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f{std::fopen(path.c_str(), "w"), &std::fclose};
    if (!f) return Error::io(path + ": cannot create");
    std::size_t n = 0;
    for (const auto& e : run.trace) {
        if (e.kind != TraceEntry::Kind::change && e.kind != TraceEntry::Kind::call && e.kind != TraceEntry::Kind::note) continue;
        const std::string host = quoted(scenario.hosts[static_cast<std::size_t>(e.host)].name);
        char t[32];
        std::snprintf(t, sizeof t, "%.6f", (e.at - run.start).count_seconds());
        std::string line = std::string{"{\"t\":"} + t + ",\"host\":" + host;
        if (e.kind == TraceEntry::Kind::change) {
            line += ",\"kind\":\"state_change\",\"local\":" + quoted(e.tuple.local.to_string()) +
                    ",\"remote\":" + quoted(e.tuple.remote.to_string()) + ",\"from\":" + quoted(to_string(e.change.from)) +
                    ",\"to\":" + quoted(to_string(e.change.to)) + ",\"cause\":" + quoted(to_string(e.change.cause));
        } else {
            line += std::string{",\"kind\":"} + (e.kind == TraceEntry::Kind::call ? "\"call\"" : "\"note\"") +
                    ",\"text\":" + quoted(e.text);
        }
        line += "}\n";
        if (std::fputs(line.c_str(), f.get()) < 0) return Error::io(path + ": write failed");
        ++n;
    }
    if (std::fflush(f.get()) != 0) return Error::io(path + ": write failed");
    return n;
}

} // namespace teardown::sim
