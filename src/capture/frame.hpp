#pragma once
// One captured frame as a capture file or a live interface delivers it. The
// bytes are borrowed from the reader and valid until its next call.
#include <cstdint>
#include <span>
#include <string>

#include "core/time.hpp"
#include "wire/link_type.hpp"

namespace teardown::capture {

struct Frame {
    Instant ts;                         // since the Unix epoch
    wire::LinkType link{wire::LinkType::ethernet};
    std::uint32_t interface_id{0};      // pcapng interface; 0 for pcap and live
    std::uint32_t orig_len{0};          // length on the wire
    std::span<const std::byte> data;    // the captured bytes (at most orig_len)
    std::uint64_t offset{0};            // of its record or block in the (decompressed) file
};

// Something a reader met and stepped over or stopped at without failing, e.g.
// a file cut short in the middle of a record.
struct Warning {
    std::uint64_t offset{0};
    std::string message;  // one line, naming the file and the offset
};

} // namespace teardown::capture
