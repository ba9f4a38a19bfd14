// libFuzzer target for the gzip inflater (capture::inflating: ISA-L's igzip
// under our handling of members, refills, damage and stalls): any bytes are
// inflated to their end or their first damage, never a crash, never a hang.
// And the same bytes handed over a piece at a time, of a size the first
// byte picks, and read out in reads of a size the second picks, end cleanly
// exactly when they do handed over whole, with the same bytes. Otherwise
// both end cut short or damaged, though not always the same of the two: a
// damaged header (a FNAME or FHCRC field over bad flags) igzip reads whole
// as a bad CRC and in pieces as never ending. Both cut short, one's bytes
// are the start of the other's (with its input whole igzip leaves the last
// bits before the cut; a byte at a time it decodes them). Damaged, the
// bytes are not compared: deflate has nothing to check them by before the
// member's CRC-32, and igzip hands out what a failing copy wrote (its last
// few bytes differ with the room) and drops what it had inflated ahead
// into a buffer of its own where the room is small.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "capture/byte_stream.hpp"

namespace {

// The most inflated a run: a few KB of gzip can say gigabytes of zeros.
constexpr std::size_t k_most = 16 << 20;

// What the stream inflates to, and how it ended: cleanly, cut short or
// damaged, not the warning's offset, which counts the bytes igzip holds in
// its bit buffer and so the pieces.
struct Inflated {
    std::string bytes;
    std::string end;
    bool capped{false};
};

Inflated inflated(std::span<const std::byte> gz, std::size_t piece, std::size_t read_size) {
    auto stream = teardown::capture::inflating(teardown::capture::memory_stream(gz, piece), "fuzz");
    Inflated out;
    std::vector<std::byte> buffer(read_size);
    while (out.bytes.size() < k_most) {
        auto n = stream->read(buffer);
        if (!n) {
            out.end = "error: " + n.error().message;
            return out;
        }
        if (*n == 0) break;
        out.bytes.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    if (out.bytes.size() >= k_most) {
        out.bytes.resize(k_most);
        out.capped = true;
        return out;
    }
    if (const auto& w = stream->warning()) out.end = w->message.find("ends early") != std::string::npos ? "ends early" : "damaged";
    return out;
}

bool starts(const std::string& longer, const std::string& shorter) { return longer.compare(0, shorter.size(), shorter) == 0; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t piece = 1 + (std::size_t{data[0]} * 37) % 4096;
    const std::size_t read_size = 1 + (std::size_t{data[1]} * 131) % 70000;
    const std::span<const std::byte> gz{reinterpret_cast<const std::byte*>(data) + 2, size - 2};
    const Inflated whole = inflated(gz, gz.size() + 1, 1 << 20);
    const Inflated pieces = inflated(gz, piece, read_size);
    const bool prefix = starts(whole.bytes, pieces.bytes) || starts(pieces.bytes, whole.bytes);
    if (whole.capped || pieces.capped) {
        if (!prefix) __builtin_trap();  // compared as far as both went
    } else if (whole.end.empty() != pieces.end.empty()) {
        __builtin_trap();  // clean one way and not the other
    } else if (whole.end.empty() ? whole.bytes != pieces.bytes : whole.end == "ends early" && pieces.end == whole.end && !prefix) {
        __builtin_trap();
    }
    return 0;
}
