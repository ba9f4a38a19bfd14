#pragma once
// Writes captures: classic pcap (nanosecond by default) and pcapng with
// several interfaces. Buffered; every error names the file.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "wire/link_type.hpp"

namespace teardown::capture {

class PcapWriter {
public:
    enum class Resolution { nanosecond, microsecond };
    static Result<PcapWriter> create(const std::string& path, wire::LinkType link,
                                     Resolution resolution = Resolution::nanosecond, std::uint32_t snaplen = 262144);
    // Frames longer than the snaplen are cut to it; orig_len keeps the real length.
    Result<void> write(Instant ts, std::span<const std::byte> frame, std::uint32_t orig_len = 0);
    Result<void> close();
    std::uint64_t frames() const { return frames_; }

private:
    struct File;
    std::shared_ptr<File> file_;
    std::string path_;
    Resolution resolution_{Resolution::nanosecond};
    std::uint32_t snaplen_{0};
    std::uint64_t frames_{0};
};

class PcapngWriter {
public:
    struct Interface {
        wire::LinkType link{wire::LinkType::ethernet};
        std::string name;
        std::uint8_t tsresol{9};  // pcapng if_tsresol byte: 9 = nanoseconds, 6 = microseconds, 0x80|n = 2^-n
        std::uint32_t snaplen{262144};
    };
    static Result<PcapngWriter> create(const std::string& path, std::vector<Interface> interfaces);
    Result<void> write(std::uint32_t interface_id, Instant ts, std::span<const std::byte> frame,
                       std::uint32_t orig_len = 0, const std::string& comment = "");
    // A block of a type readers do not know, to test that they step over it.
    Result<void> write_block(std::uint32_t type, std::span<const std::byte> body);
    Result<void> close();

private:
    Result<void> put(const std::vector<std::byte>& block);
    struct File;
    std::shared_ptr<File> file_;
    std::string path_;
    std::vector<Interface> interfaces_;
};

} // namespace teardown::capture
