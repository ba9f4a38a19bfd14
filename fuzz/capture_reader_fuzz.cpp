// libFuzzer target for the pcap/pcapng reader: any bytes, read to the end,
// every frame decoded. Never a crash, never a hang, never a read past the
// input. And the same bytes read as a stream, handed over in pieces of a
// size the first byte picks, and read by runs of feed_records() between
// next()s, give the same frames, warning and error as read in place by
// next() alone (the one difference allowed: a stream refuses a block over
// 64 MiB that the mapped bytes can show cut short).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "capture/byte_stream.hpp"
#include "capture/capture_reader.hpp"
#include "wire/packet.hpp"

namespace {

using teardown::capture::CaptureReader;

// What a reader gave, its frames' bytes and places folded into one string;
// with `run`, frames are taken up to `run` at a time by feed_records() before each next().
std::string everything(teardown::Result<CaptureReader> reader, std::size_t size, bool decode, std::uint64_t run = 0) {
    if (!reader) return "open: " + reader.error().message;
    std::string out;
    const auto keep = [&](const teardown::capture::Frame& frame) {
        out += std::to_string(frame.ts.nanos()) + ' ' + std::to_string(static_cast<unsigned>(frame.link)) + ' ' +
               std::to_string(frame.interface_id) + ' ' + std::to_string(frame.orig_len) + ' ' + std::to_string(frame.offset) + ' ';
        out.append(reinterpret_cast<const char*>(frame.data.data()), frame.data.size());
        if (decode) {
            auto d = teardown::wire::decode(frame.link, frame.data, frame.orig_len);
            if (d && d->is_tcp()) (void)d->tcp_checksum();
        }
    };
    teardown::capture::Frame frame;
    for (std::size_t frames = 0; frames <= size; ++frames) {  // each frame consumes input, so this bounds the loop
        if (run > 0) frames += reader->feed_records(keep, run);
        auto more = reader->next(frame);
        if (!more) return out + "error: " + more.error().message;
        if (!*more) break;
        keep(frame);
    }
    if (reader->warning()) out += "warning: " + reader->warning()->message;
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = 1 + (std::size_t{data[0]} * 37) % 4096;
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(data) + 1, size - 1};
    const std::string in_place = everything(CaptureReader::from_memory(bytes, "fuzz"), bytes.size(), true);
    const std::string streamed =
        everything(CaptureReader::from_stream(teardown::capture::memory_stream(bytes, piece), "fuzz"), bytes.size(), false, 1 + data[0] % 5);
    if (streamed != in_place && streamed.find("a block of a stream may take") == std::string::npos) __builtin_trap();
    return 0;
}
