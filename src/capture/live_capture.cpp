#include "capture/live_capture.hpp"

#include <poll.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "capture/packet_filter.hpp"

namespace teardown::capture {

struct LiveCapture::Handle {
    pcap_t* pcap{nullptr};
    std::atomic<bool> stop{false};
    ~Handle() {
        if (pcap != nullptr) pcap_close(pcap);
    }
};

namespace {
Error pcap_failure(const std::string& interface, const std::string& what, pcap_t* p) {
    return Error::io("capture on " + interface + ": " + what + ": " + (p ? pcap_geterr(p) : "unknown error"));
}
} // namespace

Result<LiveCapture> LiveCapture::open(const std::string& interface, const std::string& filter, const LiveOptions& options) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    LiveCapture c;
    c.interface_ = interface;
    c.handle_ = std::make_shared<Handle>();
    c.handle_->pcap = pcap_create(interface.c_str(), errbuf);
    if (c.handle_->pcap == nullptr) return Error::io("capture on " + interface + ": " + errbuf);
    pcap_t* p = c.handle_->pcap;
    pcap_set_snaplen(p, static_cast<int>(options.snaplen));
    pcap_set_promisc(p, options.promiscuous ? 1 : 0);
    pcap_set_immediate_mode(p, 1);
    pcap_set_timeout(p, 100);
    pcap_set_buffer_size(p, static_cast<int>(std::min<std::uint32_t>(options.buffer_bytes, INT32_MAX)));
    // Where the kernel cannot stamp nanoseconds, microseconds it is (and
    // pcap_get_tstamp_precision says which after activation).
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    const int rc = pcap_activate(p);
    if (rc < 0) return pcap_failure(interface, "cannot activate (are you root?)", p);
    c.nanoseconds_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    c.link_ = link_type_of_dlt(pcap_datalink(p));
    if (!filter.empty()) {
        bpf_program prog{};
        if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
            return Error::parse("filter '" + filter + "': " + pcap_geterr(p));
        const int set = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (set != 0) return pcap_failure(interface, "cannot set the filter", p);
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) return Error::io("capture on " + interface + ": " + errbuf);
    return c;
}

Result<bool> LiveCapture::next(Frame& frame, Duration timeout) {
    pcap_t* p = handle_->pcap;
    const int fd = pcap_get_selectable_fd(p);
    for (;;) {
        if (handle_->stop.load()) return false;
        pcap_pkthdr* h = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(p, &h, &data);
        if (rc == 1) {
            frame.ts = Instant::from_seconds(h->ts.tv_sec) + (nanoseconds_ ? Duration::nanos(h->ts.tv_usec) : Duration::micros(h->ts.tv_usec));
            frame.link = link_;
            frame.interface_id = 0;
            frame.orig_len = h->len;
            frame.data = {reinterpret_cast<const std::byte*>(data), h->caplen};
            frame.offset = 0;
            return true;
        }
        if (rc == PCAP_ERROR_BREAK) return false;
        if (rc < 0) return pcap_failure(interface_, "read failed", p);
        // Nothing buffered: wait for the descriptor, at most `timeout`.
        pollfd pfd{fd, POLLIN, 0};
        const int ms = static_cast<int>(std::min<std::int64_t>(timeout.count_millis(), 1 << 30));
        const int ready = poll(&pfd, 1, ms);
        if (ready <= 0) return false;
    }
}

void LiveCapture::breakloop() {
    handle_->stop.store(true);
    pcap_breakloop(handle_->pcap);
}

Result<LiveStats> LiveCapture::stats() const {
    pcap_stat s{};
    if (pcap_stats(handle_->pcap, &s) != 0) return pcap_failure(interface_, "no statistics", handle_->pcap);
    return LiveStats{s.ps_recv, s.ps_drop, s.ps_ifdrop};
}

} // namespace teardown::capture
