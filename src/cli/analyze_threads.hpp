#pragma once
// `teardown analyze --threads N`: N threads, each an AnalyzerShard reading
// the whole capture and analyzing the connections whose 4-tuple is its
// own, formatting their records as it goes; the caller's thread merges
// the lines (RecordMerge) into one analyzer's order and numbers and hands
// them on as they become sure, so the output is what one thread writes.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "analyze/analyzer.hpp"
#include "capture/capture_reader.hpp"
#include "cli/analyze_reading.hpp"
#include "cli/commands.hpp"
#include "report/connection_report.hpp"

namespace teardown::cli {

struct ThreadedAnalysis {
    report::Summary summary;      // of the records kept
    analyze::AnalyzerCounts counts;
    Instant first_ts{Instant::never()};
    Instant last_ts{};
    ReadEnd end{ReadEnd::done};   // the worst of the captures'
};

// Called on the caller's thread for each record kept, in order: its line
// without id and uid, where they go, its number; `first_ts` is the first
// frame's time (for a header).
using NumberedLine =
    std::function<void(std::string_view text, const report::PendingLine& place, std::uint64_t id, Instant first_ts)>;

// Each shard reads a mapped capture with a reader of its own (`another()`);
// a streamed one (a pipe, gzip) is read by one more thread, for all of them
// (shared_frames.hpp).
ThreadedAnalysis analyze_in_threads(std::vector<capture::CaptureReader>& captures, const AnalyzeOptions& o,
                                    const analyze::AnalyzerLimits& limits, report::RecordFormat format, const NumberedLine& line);

} // namespace teardown::cli
