#pragma once
// The bytes of a capture file: mapped read-only from disk, inflated from gzip,
// or borrowed from the caller. Shared so readers stay cheap to move.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/frame.hpp"
#include "core/result.hpp"

namespace teardown::capture {

class FileBytes {
public:
    // Maps the file; a gzip file (magic 1f 8b) is inflated into memory. A gzip
    // stream that ends early keeps what inflated and says so in warning().
    static Result<FileBytes> open(const std::string& path);
    static FileBytes borrow(std::span<const std::byte> bytes);

    std::span<const std::byte> bytes() const { return bytes_; }
    bool was_gzip() const { return gzip_; }
    const std::optional<Warning>& warning() const { return warning_; }

private:
    struct Mapping;
    std::shared_ptr<Mapping> mapping_;
    std::shared_ptr<std::vector<std::byte>> inflated_;
    std::span<const std::byte> bytes_;
    bool gzip_{false};
    std::optional<Warning> warning_;
};

} // namespace teardown::capture
