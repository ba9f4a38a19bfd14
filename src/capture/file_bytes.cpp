#include "capture/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace teardown::capture {

struct FileBytes::Mapping {
    void* addr{nullptr};
    std::size_t size{0};
    ~Mapping() {
        if (addr != nullptr) munmap(addr, size);
    }
};

namespace {

Error os_error(const std::string& path, const char* what) {
    return Error::io(path + ": " + what + ": " + std::strerror(errno));
}

// Inflates every gzip member; a damaged or cut stream keeps what came out before it.
std::shared_ptr<std::vector<std::byte>> inflate_all(std::span<const std::byte> in, const std::string& path,
                                                    std::optional<Warning>& warning) {
    auto out = std::make_shared<std::vector<std::byte>>();
    z_stream z{};
    // 16 + MAX_WBITS: expect a gzip header (RFC 1952), not raw zlib.
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        warning = Warning{0, path + ": gzip: cannot start zlib"};
        return out;
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));  // zlib's API is not const
    z.avail_in = static_cast<uInt>(in.size());
    out->resize(std::max<std::size_t>(in.size() * 4, 1 << 16));
    for (;;) {
        if (z.total_out == out->size()) out->resize(out->size() * 2);
        z.next_out = reinterpret_cast<Bytef*>(out->data() + z.total_out);
        z.avail_out = static_cast<uInt>(out->size() - z.total_out);
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            inflateReset(&z);  // concatenated members (RFC 1952 §2.2)
            continue;
        }
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            warning = Warning{z.total_in, path + ": gzip stream ends early at compressed offset " +
                                              std::to_string(z.total_in) + "; reading what it held"};
            break;
        }
        if (rc == Z_BUF_ERROR) continue;
        warning = Warning{z.total_in, path + ": gzip data corrupt at compressed offset " + std::to_string(z.total_in) +
                                          " (" + (z.msg ? z.msg : "zlib error") + "); reading what it held"};
        break;
    }
    out->resize(z.total_out);
    inflateEnd(&z);
    return out;
}

} // namespace

Result<FileBytes> FileBytes::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error(path, "cannot open");
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        auto e = os_error(path, "cannot stat");
        ::close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Error::io(path + ": is a directory, not a capture file");
    }
    if (st.st_size == 0) {
        ::close(fd);
        return Error::truncated(path + ": empty file, not a capture");
    }
    FileBytes f;
    f.mapping_ = std::make_shared<Mapping>();
    f.mapping_->size = static_cast<std::size_t>(st.st_size);
    // Not MAP_POPULATE: mapping every page up front is a step no thread of
    // `analyze --threads` shares, and took longer than the faults as the
    // pages are read (which map 16 pages at a time).
    void* addr = mmap(nullptr, f.mapping_->size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    ::close(fd);
    if (addr == MAP_FAILED) {
        errno = mmap_errno;
        return os_error(path, "cannot map");
    }
    f.mapping_->addr = addr;
    // Capture files are read front to back once.
    madvise(addr, f.mapping_->size, MADV_SEQUENTIAL);
    f.bytes_ = {static_cast<const std::byte*>(addr), f.mapping_->size};
    if (f.bytes_.size() >= 2 && f.bytes_[0] == std::byte{0x1f} && f.bytes_[1] == std::byte{0x8b}) {
        f.gzip_ = true;
        f.inflated_ = inflate_all(f.bytes_, path, f.warning_);
        f.bytes_ = *f.inflated_;
        f.mapping_.reset();
        if (f.bytes_.empty()) return Error::bad_value(path + ": gzip file holds no data");
    }
    return f;
}

FileBytes FileBytes::borrow(std::span<const std::byte> bytes) {
    FileBytes f;
    f.bytes_ = bytes;
    return f;
}

} // namespace teardown::capture
