// `teardown demo`: the seed's closing situations, one after another, each as
// a ladder diagram with every closing packet named, then written to one
// capture and identified again from the bytes by `teardown dump --closing`.
#include <cstdio>
#include <string>

#include <fmt/core.h>

#include "analyze/closing_packet.hpp"
#include "cli/commands.hpp"
#include "report/ladder.hpp"
#include "sim/conversation_pcap.hpp"
#include "sim/seed_situations.hpp"

namespace teardown::cli {

namespace {

std::string arrow_label(const sim::WireSegment& s) {
    std::string label = s.tcp.flags.to_tcpdump() + " " + std::to_string(s.tcp.seq.raw());
    if (s.tcp.flags.ack_set()) label += " ack " + std::to_string(s.tcp.ack.raw());
    if (!s.payload.empty()) label += " len " + std::to_string(s.payload.size());
    return label;
}

report::LadderArrow::Tone tone_of(const sim::WireSegment& s, const analyze::ClosingLabel& label) {
    if (s.tcp.flags.rst_set()) return report::LadderArrow::Tone::reset;
    if (label.is_closing()) return report::LadderArrow::Tone::closing;
    if (!s.payload.empty()) return report::LadderArrow::Tone::data;
    return report::LadderArrow::Tone::plain;
}

report::Ladder ladder_of(const sim::Conversation& c) {
    report::Ladder ladder;
    ladder.lanes = {"client " + c.endpoint(Side::client).to_string(), "server " + c.endpoint(Side::server).to_string()};
    analyze::ClosingClassifier classifier;
    for (const auto& s : c.segments()) {
        const auto label = classifier.on_segment({s.src, s.tcp.src_port}, {s.dst, s.tcp.dst_port}, s.tcp.flags,
                                                 s.tcp.seq, s.tcp.ack, static_cast<std::uint32_t>(s.payload.size()), s.at);
        report::LadderArrow a = report::LadderArrow::between(s.at, s.from, arrow_label(s));
        a.lost = s.lost;
        a.tone = tone_of(s, label);
        a.note = label.text();
        ladder.arrows.push_back(std::move(a));
    }
    return ladder;
}

int run_demo(const std::string& only, const std::string& pcap_path) {
    const bool colour = stdout_wants_colour();
    report::LadderStyle style;
    style.colour = colour;
    int shown = 0;
    const auto situations = sim::seed_situations();
    std::vector<const sim::Conversation*> shown_conversations;
    for (const auto& s : situations) {
        if (!only.empty() && s.name != only) continue;
        ++shown;
        shown_conversations.push_back(&s.conversation);
        std::printf("%s== %s (seed %s)%s\n%s\n\n", colour ? "\x1b[1m" : "", s.name.c_str(), s.seed_section.c_str(),
                    colour ? "\x1b[0m" : "", s.summary.c_str());
        std::fputs(report::render_ladder(ladder_of(s.conversation), style).c_str(), stdout);
        std::printf("\n");
    }
    if (shown == 0) {
        std::fprintf(stderr, "teardown demo: no situation named '%s'\n", only.c_str());
        return 1;
    }
    // The same closes, now as bytes on the wire: written to a capture and
    // identified again from the TCP flags alone (seed §3).
    auto written = sim::write_pcap(shown_conversations, pcap_path);
    if (!written) {
        std::fprintf(stderr, "teardown demo: %s\n", written.error().message.c_str());
        return 1;
    }
    std::printf("%s== the closing packets, identified from the capture%s\n", colour ? "\x1b[1m" : "", colour ? "\x1b[0m" : "");
    std::printf("%zu segments written to %s; `teardown dump --closing %s` finds:\n\n", *written, pcap_path.c_str(),
                pcap_path.c_str());
    std::fflush(stdout);
    DumpOptions dump;
    dump.path = pcap_path;
    dump.closing_only = true;
    dump.time = DumpTime::relative;
    return dump_capture(dump);
}

} // namespace

void add_demo_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("demo", "walk through the seed's closing situations: ladders, labels, capture");
    auto only = std::make_shared<std::string>();
    auto pcap = std::make_shared<std::string>("teardown-demo.pcap");
    cmd->add_option("--only", *only, "show only the situation of this name");
    cmd->add_option("--pcap", *pcap, "where to write the capture of the situations")->capture_default_str();
    cmd->callback([only, pcap] {
        if (int rc = run_demo(*only, *pcap); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
