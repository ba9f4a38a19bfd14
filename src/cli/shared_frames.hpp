#pragma once
// `analyze --threads N` on a capture read once (stdin, a pipe) or inflated
// (gzip): one thread reads it, through the --filter, and the N shards read
// its frames from here, each all of them in order. Frames are copied out of
// the reader's window into batches of about a megabyte; a batch is freed
// when every shard has read it, and the reader stays at most k_ahead
// batches ahead of the slowest shard, so memory stays bounded. (A mapped
// file needs none of this: each shard reads it in place.)
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capture/capture_reader.hpp"
#include "capture/packet_filter.hpp"
#include "cli/analyze_reading.hpp"

namespace teardown::cli {

class SharedFrames {
public:
    explicit SharedFrames(unsigned shards) : next_(shards, 0) {}

    // On the reading thread: every frame of `reader` that passes `filter`,
    // then the end for all (its errors and warnings said on stderr; a bad
    // filter unless one sharing `filter_said` said it).
    void read(capture::CaptureReader& reader, const std::string& filter, std::atomic<bool>* filter_said = nullptr) {
        std::map<wire::LinkType, capture::PacketFilter> filters;
        auto batch = std::make_shared<Batch>();
        const ReadEnd end = read_frames(reader, filter, filters, [&](const capture::Frame& f) {
            batch->frames.push_back({f.ts, f.link, f.interface_id, f.orig_len, f.offset, batch->bytes.size(), f.data.size()});
            batch->bytes.insert(batch->bytes.end(), f.data.begin(), f.data.end());
            if (batch->bytes.size() >= k_batch_bytes) {
                publish(std::move(batch));
                batch = std::make_shared<Batch>();
            }
        }, true, filter_said);
        if (!batch->frames.empty()) publish(std::move(batch));
        std::lock_guard g{lock_};
        end_ = end;
        done_ = true;
        changed_.notify_all();
    }

    // On shard `shard`'s thread: each frame to `feed`, in order; then how the reading ended.
    template <typename Feed>
    ReadEnd take(unsigned shard, const Feed& feed) {
        for (;;) {
            std::shared_ptr<const Batch> batch;
            {
                std::unique_lock g{lock_};
                changed_.wait(g, [&] { return next_[shard] < first_ + batches_.size() || done_; });
                if (next_[shard] == first_ + batches_.size()) return end_;
                batch = batches_[next_[shard] - first_];
                ++next_[shard];
                // The batches every shard has read go; the reader may go on.
                drop_read();
            }
            capture::Frame f;
            for (const Kept& k : batch->frames) {
                f.ts = k.ts;
                f.link = k.link;
                f.interface_id = k.interface_id;
                f.orig_len = k.orig_len;
                f.offset = k.offset;
                f.data = std::span{batch->bytes}.subspan(k.at, k.length);
                feed(f);
            }
        }
    }

    // The most batches held at once: at most k_ahead, however slow a shard.
    std::size_t most_held() {
        std::lock_guard g{lock_};
        return most_held_;
    }
    static constexpr std::size_t k_ahead = 8;

    // Shard `shard` reads no more (it stopped early): the reader need not wait for it.
    void leave(unsigned shard) {
        std::lock_guard g{lock_};
        next_[shard] = UINT64_MAX;
        drop_read();
    }

private:
    // The batches every shard has read go, and the reader may go on. Under the lock.
    void drop_read() {
        const std::uint64_t slowest = *std::min_element(next_.begin(), next_.end());
        while (first_ < slowest && !batches_.empty()) {
            batches_.pop_front();
            ++first_;
            changed_.notify_all();
        }
    }

    static constexpr std::size_t k_batch_bytes = 1024 * 1024;
    struct Kept {
        Instant ts;
        wire::LinkType link;
        std::uint32_t interface_id, orig_len;
        std::uint64_t offset;
        std::size_t at, length;
    };
    struct Batch {
        std::vector<Kept> frames;
        std::vector<std::byte> bytes;
    };

    void publish(std::shared_ptr<const Batch> batch) {
        std::unique_lock g{lock_};
        changed_.wait(g, [&] { return batches_.size() < k_ahead; });
        batches_.push_back(std::move(batch));
        most_held_ = std::max(most_held_, batches_.size());
        changed_.notify_all();
    }

    std::mutex lock_;
    std::condition_variable changed_;
    std::deque<std::shared_ptr<const Batch>> batches_;
    std::uint64_t first_{0};           // the number of batches_.front()
    std::vector<std::uint64_t> next_;  // each shard's next batch
    std::size_t most_held_{0};
    bool done_{false};
    ReadEnd end_{ReadEnd::done};
};

} // namespace teardown::cli
