#pragma once
// The bytes of a send or receive buffer: appended at the back, consumed from
// the front, read anywhere in between. One contiguous vector with a moving
// head, compacted when the dead front outgrows the live bytes, so that a
// connection costs no allocation until it carries data.
#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace teardown::engine {

class ByteQueue {
public:
    std::size_t size() const { return bytes_.size() - head_; }
    bool empty() const { return size() == 0; }
    void clear() {
        bytes_.clear();
        head_ = 0;
    }
    void append(std::span<const std::byte> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
    // The bytes [offset, offset + n) counted from the front; valid until the next change.
    std::span<const std::byte> view(std::size_t offset, std::size_t n) const {
        return std::span{bytes_}.subspan(head_ + offset, n);
    }
    void consume(std::size_t n) {
        head_ += std::min(n, size());
        if (head_ == bytes_.size()) {
            clear();
        } else if (head_ > 4096 && head_ > size()) {
            bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

private:
    std::vector<std::byte> bytes_;
    std::size_t head_{0};
};

} // namespace teardown::engine
