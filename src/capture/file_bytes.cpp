#include "capture/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

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

// Its first two bytes, to tell gzip by its magic, keeping what was read.
Result<std::vector<std::byte>> peek_magic(int fd, const std::string& path) {
    std::vector<std::byte> start(2);
    std::size_t have = 0;
    while (have < start.size()) {
        const ssize_t n = ::read(fd, start.data() + have, start.size() - have);
        if (n == 0) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return os_error(path, "cannot read");
        have += static_cast<std::size_t>(n);
    }
    start.resize(have);
    return start;
}

} // namespace

Result<FileBytes> FileBytes::open(const std::string& path) {
    // "-" is stdin, named so in what is said of it.
    const bool from_stdin = path == "-";
    const std::string name = from_stdin ? "stdin" : path;
    const int fd = from_stdin ? ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error(name, "cannot open");
    if (from_stdin && ::isatty(fd) != 0) {
        // Nothing piped in: waiting on the keyboard for a capture would look like a hang.
        ::close(fd);
        return Error::io("stdin is a terminal, not a capture: pipe one in (tcpdump -w - | teardown analyze -)");
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        auto e = os_error(name, "cannot stat");
        ::close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Error::io(name + ": is a directory, not a capture file");
    }
    FileBytes f;
    f.name_ = name;
    if (!S_ISREG(st.st_mode)) {
        // A pipe or the like: read as it comes, once. A pipe of 1 MiB (Linux's
        // default most for a user) rather than 64 KiB: a sixteenth of the
        // reads and of the writer's waits.
        if (S_ISFIFO(st.st_mode)) (void)::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
        auto start = peek_magic(fd, name);
        if (!start) {
            ::close(fd);
            return start.error();
        }
        f.gzip_ = is_gzip(*start);
        auto raw = fd_stream(fd, name, std::move(*start));
        // gzip is inflated ahead on a thread of its own, as from a file.
        f.pipe_ = std::make_shared<std::unique_ptr<ByteStream>>(f.gzip_ ? read_ahead(inflating(std::move(raw), name)) : std::move(raw));
        return f;
    }
    if (st.st_size == 0) {
        ::close(fd);
        return Error::truncated(name + ": empty file, not a capture");
    }
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
        return os_error(name, "cannot map");
    }
    f.mapping_->addr = addr;
    // Capture files are read front to back once.
    madvise(addr, f.mapping_->size, MADV_SEQUENTIAL);
    f.bytes_ = {static_cast<const std::byte*>(addr), f.mapping_->size};
    // A gzip file is inflated as it is read, a piece at a time, from the mapping.
    f.gzip_ = is_gzip(f.bytes_);
    return f;
}

std::unique_ptr<ByteStream> FileBytes::stream() {
    if (pipe_) return std::move(*pipe_);
    // Inflated a few MiB ahead on a thread of its own, beside the analysis.
    if (gzip_) return read_ahead(inflating(memory_stream(bytes_, SIZE_MAX, mapping_), name_));
    return nullptr;
}

FileBytes FileBytes::borrow(std::span<const std::byte> bytes) {
    FileBytes f;
    f.bytes_ = bytes;
    return f;
}

} // namespace teardown::capture
