#pragma once
// The bytes of a capture read as they come instead of mapped whole: a
// pipe, a FIFO or stdin (`tcpdump -w - | teardown analyze -`), and any gzip
// capture, inflated a piece at a time. The reader holds a window of them
// (capture_reader.hpp), so memory stays bounded however long the capture is:
// a gzip file that inflates to more than the machine's memory is read as
// well as a small one.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/frame.hpp"
#include "core/result.hpp"

namespace teardown::capture {

class ByteStream {
public:
    virtual ~ByteStream() = default;
    // Up to `into.size()` bytes, at least one unless the stream is over: 0
    // is its end. An Error when the source fails (read(2) does).
    virtual Result<std::size_t> read(std::span<std::byte> into) = 0;
    // How far it has read into its source, and the source's size where known
    // (0: a pipe): the progress of a gzip file is its compressed bytes.
    virtual std::uint64_t consumed() const = 0;
    virtual std::uint64_t total() const { return 0; }
    // From another thread: a read waiting on the source, and every read
    // after, ends at once as at its end (the read-ahead's, when its reader
    // is gone while a pipe's writer sends nothing).
    virtual void cancel() {}
    // Why it ended before its source did, where the bytes before are good
    // (a gzip stream damaged or cut short).
    const std::optional<Warning>& warning() const { return warning_; }

protected:
    std::optional<Warning> warning_;
};

// A file descriptor read with read(2), which it owns. Bytes already taken
// from it (to tell gzip by its magic) are handed out first.
std::unique_ptr<ByteStream> fd_stream(int fd, std::string name, std::vector<std::byte> already_read = {});

// Ctrl-C on `tcpdump -w - | teardown analyze -`: from a signal handler,
// every fd stream ends where it is (within a tenth of a second, on whatever
// thread reads it), as if its writer had closed it, and what was read is
// reported. Async-signal-safe.
void end_streams_now();

// The bytes gzip members (RFC 1952; one after another, as `cat a.gz b.gz`
// makes) inflate to.
std::unique_ptr<ByteStream> inflating(std::unique_ptr<ByteStream> compressed, std::string name);

// `inner` read ahead by a thread of its own, a few MiB at most, while the
// caller works on what came before: a gzip capture's inflating (one core)
// then overlaps its analysis, from a file or a pipe.
std::unique_ptr<ByteStream> read_ahead(std::unique_ptr<ByteStream> inner);

// Bytes in memory handed out at most `piece` at a time: a mapped file's
// (`keep` holding the mapping), or, in pieces as a pipe hands them, the
// tests' and the fuzz target's (which must outlive it).
std::unique_ptr<ByteStream> memory_stream(std::span<const std::byte> bytes, std::size_t piece,
                                          std::shared_ptr<const void> keep = nullptr);

bool is_gzip(std::span<const std::byte> start);

} // namespace teardown::capture
