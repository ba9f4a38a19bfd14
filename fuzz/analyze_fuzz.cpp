// libFuzzer target for the analyzer behind the capture reader: any bytes
// are a capture that reads to its end or to a one-line error, and every
// packet of it goes through the flow table without a crash, a hang or a
// record lost (each connection opened is reported once); every record is
// written in each format within the room its writer makes (ASan watches),
// and its JSON line is nlohmann's canonical text of itself.
#include <cstddef>
#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "analyze/analyzer.hpp"
#include "capture/capture_reader.hpp"
#include "report/connection_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto reader = teardown::capture::CaptureReader::from_memory(
        std::span{reinterpret_cast<const std::byte*>(data), size}, "fuzz.pcap");
    if (!reader) return 0;
    teardown::analyze::AnalyzerLimits limits;
    limits.max_flows = 8;  // small, so that eviction runs too
    std::uint64_t reported = 0;
    teardown::analyze::Analyzer analyzer{limits, [&](teardown::analyze::ConnectionRecord&& r) {
                                             ++reported;
                                             using teardown::report::RecordFormat;
                                             for (const auto f : {RecordFormat::table, RecordFormat::csv, RecordFormat::zeek})
                                                 (void)teardown::report::record_line(f, r);
                                             const std::string json = teardown::report::record_line(RecordFormat::json, r);
                                             if (nlohmann::json::parse(json).dump() != json) __builtin_trap();
                                         }};
    teardown::capture::Frame frame;
    teardown::wire::DecodedPacket packet;
    for (int i = 0; i < 100000; ++i) {
        auto more = reader->next(frame);
        if (!more || !*more) break;
        if (teardown::wire::decode_into(frame.link, frame.data, frame.orig_len, packet)) analyzer.on_malformed(frame.ts);
        else analyzer.on_frame(frame.ts, packet);
    }
    analyzer.finish();
    if (reported != analyzer.counts().connections) __builtin_trap();
    return 0;
}
