// libFuzzer target for the pcap/pcapng reader: any bytes, read to the end,
// every frame decoded. Never a crash, never a hang, never a read past the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/capture_reader.hpp"
#include "wire/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto reader = teardown::capture::CaptureReader::from_memory({reinterpret_cast<const std::byte*>(data), size}, "fuzz");
    if (!reader) return 0;
    teardown::capture::Frame frame;
    for (std::size_t frames = 0; frames <= size; ++frames) {  // each frame consumes input, so this bounds the loop
        auto more = reader->next(frame);
        if (!more || !*more) break;
        auto d = teardown::wire::decode(frame.link, frame.data, frame.orig_len);
        if (d && d->is_tcp()) (void)d->tcp_checksum();
    }
    return 0;
}
