// `teardown analyze CAPTURE...`: how every TCP connection in the captures
// (or on a live interface) ended, one record each, and a summary.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyze/analyzer.hpp"
#include "analyze/closing_packet.hpp"
#include "analyze/inferred_states.hpp"
#include "capture/byte_stream.hpp"
#include "capture/capture_reader.hpp"
#include "capture/live_capture.hpp"
#include "capture/packet_filter.hpp"
#include "cli/analyze_reading.hpp"
#include "cli/analyze_threads.hpp"
#include "cli/commands.hpp"
#include "cli/run_ladder.hpp"
#include "report/connection_report.hpp"
#include "report/ladder.hpp"
#include "wire/packet.hpp"

namespace teardown::cli {

namespace {

std::atomic<capture::LiveCapture*> g_live{nullptr};

// What the kernel dropped of a live capture, beside the `read` frames it
// gave, as tcpdump says it at the end: a frame dropped is one the records
// never saw, so a connection can look as if the network lost what only
// the capture did. (The kernel's own count of frames through the filter is
// not shown: on Linux it counts the dropped ones in, and on a loopback
// each frame twice, going out and coming in, where libpcap keeps one.)
void say_drops(const capture::LiveCapture& live, std::uint64_t read) {
    const auto stats = live.stats();
    if (!stats) {
        std::fprintf(stderr, "teardown analyze: %s\n", stats.error().message.c_str());
        return;
    }
    const bool lost = stats->dropped_by_kernel + stats->dropped_by_interface > 0;
    std::fprintf(stderr, "teardown analyze: %s: %llu packets read, %llu dropped by the kernel, %llu by the interface%s\n",
                 live.interface().c_str(), static_cast<unsigned long long>(read),
                 static_cast<unsigned long long>(stats->dropped_by_kernel),
                 static_cast<unsigned long long>(stats->dropped_by_interface),
                 lost ? " (its buffer was full: records may show as lost what only the capture missed; a larger --buffer-size may help)" : "");
}

std::atomic<bool> g_stop{false};
void stop_live(int) {
    g_stop = true;
    if (auto* l = g_live.load()) l->breakloop();
}

// The ladder of connection `id`: a second pass over the capture, keeping its
// packets, each with its role in the close and the states it moves the ends to.
int draw_ladder(const std::vector<capture::CaptureReader>& captures, const analyze::ConnectionRecord& r) {
    report::Ladder ladder;
    ladder.lanes = {"client " + r.client.to_string(), "server " + r.server.to_string()};
    analyze::ClosingClassifier closing;
    analyze::InferredEnds ends;
    for (const auto& capture : captures) {
        auto reader = capture.another();
        if (!reader) {
            std::fprintf(stderr, "teardown analyze: %s\n", reader.error().message.c_str());
            return 1;
        }
        capture::Frame frame;
        wire::DecodedPacket p;
        for (;;) {
            auto more = reader->next(frame);
            if (!more || !*more) break;
            if (frame.ts < r.start || frame.ts > r.end) continue;
            if (wire::decode_into(frame.link, frame.data, frame.orig_len, p) || !p.is_tcp()) continue;
            const auto& t = *p.tcp;
            const wire::Endpoint src{p.src(), t.src_port()};
            const wire::Endpoint dst{p.dst(), t.dst_port()};
            const bool up = src == r.client && dst == r.server;
            if (!up && !(src == r.server && dst == r.client)) continue;
            const auto role = closing.on_segment(src, dst, t.flags(), t.seq(), t.ack(),
                                                 static_cast<std::uint32_t>(t.payload_length()), frame.ts);
            std::string label = t.flags().to_tcpdump() + " " + std::to_string(t.seq().raw());
            if (t.flags().ack_set()) label += " ack " + std::to_string(t.ack().raw());
            if (t.payload_length() > 0) label += " len " + std::to_string(t.payload_length());
            auto a = report::LadderArrow::between(frame.ts, up ? Side::client : Side::server, std::move(label));
            a.tone = tone_of(t.flags(), role.is_closing(), t.payload_length() > 0);
            if (role.is_closing()) a.note = role.text();
            // The states both ends are inferred to move through.
            for (const auto& ch : ends.on_segment(up ? Side::client : Side::server, t.flags(), t.seq(), t.ack(),
                                                  static_cast<std::uint32_t>(t.payload_length()))) {
                if (!a.note.empty()) a.note += "; ";
                a.note += std::string{to_string(ch.side)} + " " + report::state_name(ch.from) + "->" + report::state_name(ch.to);
            }
            ladder.arrows.push_back(std::move(a));
        }
    }
    report::LadderStyle style;
    style.colour = Palette::for_stdout().on;
    std::fputs(report::render_ladder(ladder, style).c_str(), stdout);
    return 0;
}

} // namespace

int analyze_capture(const AnalyzeOptions& o) {
    report::RecordFormat format = report::RecordFormat::table;
    if (o.format == "json") format = report::RecordFormat::json;
    else if (o.format == "csv") format = report::RecordFormat::csv;
    else if (o.format == "zeek") format = report::RecordFormat::zeek;
    if (!o.only.empty() && !parse_word<Ending>(o.only) && !parse_word<Anomaly>(o.only)) {
        std::fprintf(stderr, "teardown analyze: --only %s is neither an ending nor an anomaly (VOCABULARY.md)\n", o.only.c_str());
        return 2;
    }
    if (o.files.empty() == o.interface.empty()) {
        std::fprintf(stderr, "teardown analyze: give capture files or -i INTERFACE (one of the two)\n");
        return 2;
    }
    analyze::AnalyzerLimits limits;
    limits.max_flows = std::max<std::size_t>(o.max_flows, 1);
    limits.idle = Duration::nanos(static_cast<std::int64_t>(o.idle_seconds * 1e9));
    limits.checksums = o.checksums;
    report::Summary summary;
    std::optional<analyze::ConnectionRecord> wanted;
    bool printed_header = false;
    Instant first_ts = Instant::never();
    Instant last_ts{};
    analyze::AnalyzerCounts c;
    const auto print_header = [&] {
        if (printed_header || o.ladder) return;
        printed_header = true;
        const std::string h = report::records_header(format, first_ts.is_never() ? Instant{} : first_ts);
        if (!h.empty()) std::printf("%s\n", h.c_str());
    };
    // Records are written in large blocks: a line each through stdio costs
    // more than the analysis of their packets.
    std::string lines;
    const auto flush_lines = [&] {
        std::fwrite(lines.data(), 1, lines.size(), stdout);
        lines.clear();
    };
    const auto end_line = [&] {
        lines += '\n';
        if (lines.size() >= 256 * 1024) flush_lines();
    };
    // Whatever way this returns, the records made so far are written.
    struct WriteAtExit {
        const decltype(flush_lines)& flush;
        ~WriteAtExit() { flush(); }
    } write_at_exit{flush_lines};
    const analyze::Analyzer::Sink sink = [&](analyze::ConnectionRecord&& r) {
        if (o.ladder) {
            if (r.id == *o.ladder) wanted = r;
            return;
        }
        if (!keep(r, o.only)) return;
        summary.add(r);
        print_header();
        report::append_record(lines, format, r);
        end_line();
    };
    if (o.threads > 1 && !o.interface.empty()) {
        std::fprintf(stderr, "teardown analyze: --threads is for capture files, not a live interface\n");
        return 2;
    }
    if (std::count(o.files.begin(), o.files.end(), "-") > 1) {
        std::fprintf(stderr, "teardown analyze: - (stdin) is named more than once; it can be read once\n");
        return 2;
    }
    // All opened first: a missing file or one that is no capture is said
    // before any analysis, and what can be read only once is known.
    std::vector<capture::CaptureReader> captures;
    for (const auto& file : o.files) {
        auto reader = capture::CaptureReader::open(file);
        if (!reader) {
            std::fprintf(stderr, "teardown analyze: %s\n", reader.error().message.c_str());
            return 1;
        }
        captures.push_back(std::move(*reader));
    }
    const auto read_once = std::find_if(captures.begin(), captures.end(), [](const auto& r) { return r.read_once(); });
    if (o.ladder && read_once != captures.end()) {
        std::fprintf(stderr, "teardown analyze: --ladder reads the capture twice, and %s is a stream, read once: save it to a file\n",
                     read_once->name().c_str());
        return 2;
    }
    if (read_once != captures.end()) {
        // Ctrl-C ends a stream where it is, and what it held is reported:
        // `tcpdump -w - | teardown analyze -` gets its records. (A second
        // Ctrl-C stops the program.)
        struct sigaction end{};
        end.sa_handler = [](int) { capture::end_streams_now(); };
        end.sa_flags = SA_RESETHAND;
        sigemptyset(&end.sa_mask);
        sigaction(SIGINT, &end, nullptr);
        sigaction(SIGTERM, &end, nullptr);
    }
    std::map<wire::LinkType, capture::PacketFilter> filters;
    int rc = 0;
    if (o.threads > 1 && !o.ladder) {
        // --threads N: N shards, each reading all the captures; --ladder
        // finds its connection by the number one analyzer gives it, on this thread.
        auto t = analyze_in_threads(captures, o, limits, format,
                                    [&](std::string_view text, const report::PendingLine& place, std::uint64_t id, Instant first) {
            first_ts = first;
            print_header();
            report::append_numbered(lines, format, text, place, id);
            end_line();
        });
        if (t.end == ReadEnd::bad_filter) return 2;
        if (t.end == ReadEnd::error) rc = 1;
        summary = std::move(t.summary);
        c = t.counts;
        first_ts = t.first_ts;
        last_ts = t.last_ts;
    } else {
        analyze::Analyzer analyzer{limits, sink};
        // Inlined into the reader's loop (CaptureReader::feed_records), which
        // runs it for every frame: a call each cost about what reading did.
        const auto feed = [&](const capture::Frame& frame) __attribute__((always_inline)) {
            if (first_ts.is_never()) first_ts = frame.ts;
            last_ts = std::max(last_ts, frame.ts);
            analyzer.on_captured(frame.ts, frame.link, frame.data, frame.orig_len);
        };
        if (!o.interface.empty()) {
            capture::LiveOptions live_options;
            live_options.buffer_bytes = static_cast<std::uint32_t>(std::uint64_t{o.buffer_kib} * 1024);
            auto live = capture::LiveCapture::open(o.interface, o.filter, live_options);
            if (!live) {
                std::fprintf(stderr, "teardown analyze: %s\n", live.error().message.c_str());
                return 1;
            }
            g_live = &*live;
            std::signal(SIGINT, stop_live);
            std::signal(SIGTERM, stop_live);
            capture::Frame frame;
            std::uint64_t frames_read = 0;
            const auto started = std::chrono::steady_clock::now();
            const auto out_of_time = [&] {
                return o.live_seconds > 0 &&
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >= o.live_seconds;
            };
            // Quiet until a second ago: the kernel stamps a frame with the
            // wall clock when it comes, and one may still wait to be read
            // (the ring, the poll's timeout), so the clock stays that far
            // behind rather than run ahead of a frame and call it late.
            const auto quiet_until = [] {
                const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
                return Instant::from_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count()) - Duration::seconds(1);
            };
            for (;;) {
                if (out_of_time()) break;
                auto more = live->next(frame, Duration::millis(o.live_seconds > 0 ? 100 : 500));
                if (!more) {
                    std::fprintf(stderr, "teardown analyze: %s\n", more.error().message.c_str());
                    rc = 1;
                    break;
                }
                if (!*more) {
                    if (g_stop) break;  // Ctrl-C; otherwise a timeout: the clock moves on, and wait on
                    analyzer.on_quiet(quiet_until());
                    flush_lines();
                    std::fflush(stdout);
                    continue;
                }
                ++frames_read;
                feed(frame);
                flush_lines();
                std::fflush(stdout);
            }
            g_live = nullptr;
            say_drops(*live, frames_read);
        }
        for (auto& opened : captures) {
            // Its mapping goes once it is read, before finish() makes the
            // records of the end (unless --ladder reads it again).
            auto reader = std::move(opened);
            const auto read = read_frames(reader, o.filter, filters, feed);
            if (read == ReadEnd::bad_filter) return 2;
            if (read == ReadEnd::error) rc = 1;
            if (o.ladder) opened = std::move(reader);
        }
        analyzer.finish();
        c = analyzer.counts();
    }
    if (o.ladder) {
        if (!wanted) {
            std::fprintf(stderr, "teardown analyze: no connection %llu in the capture\n", static_cast<unsigned long long>(*o.ladder));
            return 1;
        }
        std::printf("%s\n%s\n\n", report::records_header(report::RecordFormat::table, {}).c_str(),
                    report::record_line(report::RecordFormat::table, *wanted).c_str());
        return draw_ladder(captures, *wanted) == 0 ? rc : 1;
    }
    flush_lines();
    print_header();
    const std::string footer = report::records_footer(format, last_ts);
    if (!footer.empty()) std::printf("%s\n", footer.c_str());
    if (format == report::RecordFormat::table) {
        std::printf("\n%s", summary.text().c_str());
    } else if (o.summary) {
        std::fprintf(stderr, "%s\n", format == report::RecordFormat::json ? summary.json().c_str() : summary.text().c_str());
    }
    if (c.malformed || c.truncated || c.out_of_order || c.evicted_full || c.bad_checksums)
        std::fprintf(stderr,
                     "teardown analyze: %llu packets (%llu TCP): %llu malformed, %llu cut by the snapshot length, %llu out of "
                     "time order, %llu bad TCP checksums, %llu connections reported early for --max-flows\n",
                     static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.tcp_packets),
                     static_cast<unsigned long long>(c.malformed), static_cast<unsigned long long>(c.truncated),
                     static_cast<unsigned long long>(c.out_of_order), static_cast<unsigned long long>(c.bad_checksums),
                     static_cast<unsigned long long>(c.evicted_full));
    if (o.stats)
        std::fprintf(stderr,
                     "teardown analyze: %llu packets, %llu connections; at most %llu tracked at once, in a flow table of "
                     "%.1f MB (%.0f bytes a tracked connection)\n",
                     static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.connections),
                     static_cast<unsigned long long>(c.peak_tracked), static_cast<double>(c.peak_table_bytes) / 1e6,
                     c.peak_tracked ? static_cast<double>(c.peak_table_bytes) / static_cast<double>(c.peak_tracked) : 0.0);
    return rc;
}

void add_analyze_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("analyze", "how every TCP connection in captures ended: records, Zeek conn_state, summary");
    auto o = std::make_shared<AnalyzeOptions>();
    cmd->add_option("capture", o->files, "pcap or pcapng files (gzip too); - reads stdin")->check(capture_path());
    cmd->add_option("-i,--interface", o->interface, "analyze live from this interface until Ctrl-C");
    cmd->add_option("--filter", o->filter, "a pcap filter expression");
    cmd->add_option("--format", o->format, "table, json, csv or zeek (a conn.log)")
        ->check(CLI::IsMember({"table", "json", "csv", "zeek"}))
        ->capture_default_str();
    cmd->add_option("--only", o->only, "only connections with this ending or anomaly");
    cmd->add_option("--ladder", o->ladder, "draw the ladder of connection ID (the table's id column)");
    cmd->add_option("--max-flows", o->max_flows, "connections tracked at once; the oldest are reported early")->capture_default_str();
    cmd->add_option("--idle", o->idle_seconds, "seconds of silence after which an open connection is reported")->capture_default_str();
    cmd->add_flag("--checksums", o->checksums, "verify TCP checksums (off: offload makes bad ones common)");
    cmd->add_flag("--summary", o->summary, "with json, csv or zeek: the summary on stderr");
    cmd->add_flag("--stats", o->stats, "how many connections were tracked at once, and the flow table's memory, on stderr");
    cmd->add_option("-B,--buffer-size", o->buffer_kib, "with -i: the kernel's buffer for frames not yet read, in KiB (as tcpdump's -B)")
        ->check(CLI::Range(64u, 2u * 1024 * 1024))
        ->capture_default_str();
    cmd->add_option("--for", o->live_seconds, "with -i: stop after this many seconds (else at Ctrl-C)");
    cmd->add_option("--threads", o->threads, "threads, each reading the captures and analyzing the connections whose 4-tuple hashes to it; the same records as one")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    cmd->callback([o] {
        if (int rc = analyze_capture(*o); rc != 0) throw CLI::RuntimeError(rc);
    });
}

} // namespace teardown::cli
