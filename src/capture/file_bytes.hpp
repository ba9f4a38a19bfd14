#pragma once
// The bytes of a capture file: a regular file mapped read-only and read in
// place; a gzip file (magic 1f 8b) inflated as it is read; anything else
// (a pipe, a FIFO, a character device; "-" is stdin) read as it comes, gzip
// or not. Or bytes borrowed from the caller. Shared, so that readers of the
// same mapped file (--threads) map it once.
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "capture/byte_stream.hpp"
#include "core/result.hpp"

namespace teardown::capture {

class FileBytes {
public:
    static Result<FileBytes> open(const std::string& path);
    static FileBytes borrow(std::span<const std::byte> bytes);

    // Read in place, or, where stream() gives one, through it.
    std::span<const std::byte> bytes() const { return bytes_; }
    // The file's bytes from the start: a new inflater each call for a gzip
    // file; for a pipe, the one stream there is, once (then null); none for
    // bytes read in place.
    std::unique_ptr<ByteStream> stream();
    // Whether another reader can read it from the start: its bytes are in
    // memory (mapped or borrowed), not only a pipe's.
    bool rereadable() const { return !bytes_.empty(); }
    bool was_gzip() const { return gzip_; }
    // As said in messages: "-" is "stdin".
    const std::string& name() const { return name_; }

private:
    struct Mapping;
    std::shared_ptr<Mapping> mapping_;
    std::span<const std::byte> bytes_;
    std::shared_ptr<std::unique_ptr<ByteStream>> pipe_;
    std::string name_;
    bool gzip_{false};
};

} // namespace teardown::capture
