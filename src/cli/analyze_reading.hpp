#pragma once
// What `teardown analyze` does alike on one thread and on several: which
// records the user asked for, and reading a capture's frames through the
// --filter, with its errors, warnings and progress on stderr.
#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "analyze/connection_record.hpp"
#include "capture/capture_reader.hpp"
#include "capture/packet_filter.hpp"

namespace teardown::cli {

// --only: an ending or an anomaly; empty keeps all.
inline bool keep(const analyze::ConnectionRecord& r, const std::string& only) {
    if (only.empty()) return true;
    if (to_string(r.ending) == only) return true;
    bool has = false;
    r.anomalies.for_each([&](Anomaly a) { has = has || to_string(a) == only; });
    return has;
}

enum class ReadEnd { done, error, bad_filter };

// How far reading has come, on stderr's line: a stream of unknown length
// (a pipe) shows its count of packets alone; `done` ends the line.
inline void show_progress(const capture::CaptureReader& reader, std::uint64_t packets, bool done = false) {
    const auto n = static_cast<unsigned long long>(packets);
    if (reader.size() == 0)
        std::fprintf(stderr, "\r%s: %llu packets%s", reader.name().c_str(), n, done ? "\n" : "");
    else
        std::fprintf(stderr, "\r%s: %3.0f%%, %llu packets%s", reader.name().c_str(),
                     done ? 100.0 : 100.0 * static_cast<double>(reader.position()) / static_cast<double>(reader.size()), n, done ? "\n" : "");
}

// The filter `expression` compiled for each of `interfaces`, kept in
// `filters` by link type; none when one of them does not compile (which
// the frame by frame way says, at that interface's first frame).
inline std::vector<const capture::PacketFilter*> filters_of(const std::vector<capture::InterfaceInfo>& interfaces,
                                                           const std::string& expression,
                                                           std::map<wire::LinkType, capture::PacketFilter>& filters) {
    std::vector<const capture::PacketFilter*> of;
    for (const auto& ifc : interfaces) {
        const auto link = static_cast<wire::LinkType>(ifc.link);
        auto it = filters.find(link);
        if (it == filters.end()) {
            auto compiled = capture::PacketFilter::compile(link, expression);
            if (!compiled) return {};
            it = filters.emplace(link, std::move(*compiled)).first;
        }
        of.push_back(&it->second);
    }
    return of;
}

// Every frame of `reader` that passes `filter` (compiled per link type into
// `filters`) to `feed`. With `speak`, errors and warnings are said on stderr,
// and progress shown on a terminal for files over a few MB (the threads of
// --threads all read the capture; one speaks). A filter that does not
// compile is said by the first to meet it of the readers that share
// `filter_said` (the analysis's own: its shards and a stream's reader all
// meet it), else by each.
template <typename Feed>
ReadEnd read_frames(capture::CaptureReader& reader, const std::string& filter,
                    std::map<wire::LinkType, capture::PacketFilter>& filters, const Feed& feed, bool speak = true,
                    std::atomic<bool>* filter_said = nullptr) {
    const bool show = speak && isatty(STDERR_FILENO) != 0 && (reader.size() == 0 || reader.size() > 4 * 1024 * 1024);
    capture::Frame frame;
    std::uint64_t n = 0;
    constexpr std::uint64_t k_shown_every = std::uint64_t{1} << 20;
    std::uint64_t next_shown = show ? k_shown_every : ~std::uint64_t{0};
    ReadEnd end = ReadEnd::done;
    // Each of the reader's interfaces' filter (a pcap has one), for the
    // quick way, when all of them compile: for interface_changes() `for_changes`.
    std::vector<const capture::PacketFilter*> by_interface;
    std::uint64_t for_changes = ~std::uint64_t{0};
    const auto filtered = [&](const capture::Frame& f) {
        if (by_interface[f.interface_id]->matches(f)) feed(f);
    };
    for (;;) {
        // The frames that are whole pcap records or pcapng packet blocks go
        // the quick way, as far as the next progress; the rest one by one.
        if (filter.empty()) {
            n += reader.feed_records(feed, next_shown - n);
        } else {
            if (for_changes != reader.interface_changes()) {
                for_changes = reader.interface_changes();
                by_interface = filters_of(reader.interfaces(), filter, filters);
            }
            if (!by_interface.empty()) n += reader.feed_records(filtered, next_shown - n);
        }
        if (n >= next_shown) {
            show_progress(reader, n);
            next_shown = n + k_shown_every;
            continue;
        }
        auto more = reader.next(frame);
        if (!more) {
            if (speak) std::fprintf(stderr, "teardown analyze: %s\n", more.error().message.c_str());
            end = ReadEnd::error;
            break;
        }
        if (!*more) break;
        ++n;
        bool pass = true;
        if (!filter.empty()) {
            auto it = filters.find(frame.link);
            if (it == filters.end()) {
                auto compiled = capture::PacketFilter::compile(frame.link, filter);
                if (!compiled) {
                    if (speak && (filter_said == nullptr || !filter_said->exchange(true)))
                        std::fprintf(stderr, "teardown analyze: %s\n", compiled.error().message.c_str());
                    return ReadEnd::bad_filter;
                }
                it = filters.emplace(frame.link, std::move(*compiled)).first;
            }
            pass = it->second.matches(frame);
        }
        if (pass) feed(frame);
    }
    if (show) show_progress(reader, n, true);
    if (speak && reader.warning()) std::fprintf(stderr, "teardown analyze: %s\n", reader.warning()->message.c_str());
    return end;
}

} // namespace teardown::cli
