#include "watch/bpf_source.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tcp_events.h"
#include "tcp_lifecycle.skel.h"

namespace teardown::watch {

namespace {

std::int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

wire::IpAddress address_of(std::uint8_t family, const td_u8* bytes) {
    const auto* b = reinterpret_cast<const std::byte*>(bytes);
    return family == 10 ? wire::IpAddress::v6(b) : wire::IpAddress::v4(b);
}

} // namespace

struct BpfSource::Impl {
    tcp_lifecycle* skel{nullptr};
    ring_buffer* ring{nullptr};
    std::int64_t wall_minus_mono{0};  // bpf_ktime_get_ns() is CLOCK_MONOTONIC
    std::vector<std::string> reasons;
    const std::function<void(const KernelEvent&)>* sink{nullptr};
    std::size_t delivered{0};

    static int on_record(void* ctx, void* data, std::size_t size) {
        auto* self = static_cast<Impl*>(ctx);
        if (size < sizeof(td_event)) return 0;
        td_event raw;
        std::memcpy(&raw, data, sizeof raw);
        KernelEvent e;
        switch (raw.kind) {
        case TD_STATE: e.kind = KernelEvent::Kind::state; break;
        case TD_RST_SENT: e.kind = KernelEvent::Kind::reset_sent; break;
        case TD_RST_RECV: e.kind = KernelEvent::Kind::reset_received; break;
        case TD_RETRANS: e.kind = KernelEvent::Kind::retransmit; break;
        case TD_DESTROY: e.kind = KernelEvent::Kind::destroy; break;
        case TD_OWNER: e.kind = KernelEvent::Kind::owner; break;
        default: return 0;
        }
        e.at = Instant::from_nanos(static_cast<std::int64_t>(raw.ts_ns) + self->wall_minus_mono);
        e.cookie = raw.cookie;
        e.netns = raw.netns;
        if (raw.family == 2 || raw.family == 10) {
            e.tuple.local = {address_of(raw.family, raw.saddr), raw.sport};
            e.tuple.remote = {address_of(raw.family, raw.daddr), raw.dport};
        }
        if (const auto s = kernel_state(raw.old_state)) e.from = *s;
        if (const auto s = kernel_state(raw.new_state)) e.to = *s;
        e.sk_err = static_cast<int>(raw.sk_err);
        e.reset_reason = raw.reason;
        e.total_retrans = raw.total_retrans;
        e.peer_fin = raw.peer_fin != 0;
        e.pid = raw.pid;
        e.comm.assign(raw.comm, strnlen(raw.comm, sizeof raw.comm));
        e.cgroup = raw.cgroup;
        (*self->sink)(e);
        ++self->delivered;
        return 0;
    }

    ~Impl() {
        if (ring) ring_buffer__free(ring);
        if (skel) tcp_lifecycle__destroy(skel);
    }
};

Result<std::unique_ptr<BpfSource>> BpfSource::open(const BpfOptions& options) {
    std::unique_ptr<BpfSource> src{new BpfSource};
    src->impl_ = std::make_unique<Impl>();
    Impl& m = *src->impl_;
    // libbpf's own messages (the verifier's log among them) only when asked for.
    if (std::getenv("TEARDOWN_BPF_DEBUG") == nullptr) libbpf_set_print(nullptr);
    m.skel = tcp_lifecycle__open();
    if (!m.skel) return Error::io(std::string{"BPF: cannot open the program: "} + std::strerror(errno));
    m.skel->rodata->only_netns = options.netns;
    m.skel->rodata->wake_bytes = options.ring_bytes / 4;
    if (bpf_map__set_max_entries(m.skel->maps.events, options.ring_bytes) != 0)
        return Error::bad_value("BPF: ring buffer size " + std::to_string(options.ring_bytes) + " (a power of two, page-aligned)");
    if (const int err = tcp_lifecycle__load(m.skel); err != 0)
        return Error::io(std::string{"BPF: cannot load the program: "} + std::strerror(-err) +
                         (geteuid() != 0 ? " (root, or CAP_BPF and CAP_PERFMON, is needed)" : " (the kernel needs BTF and BPF ring buffers, Linux 5.8+)"));
    if (const int err = tcp_lifecycle__attach(m.skel); err != 0)
        return Error::io(std::string{"BPF: cannot attach to the TCP tracepoints: "} + std::strerror(-err));
    m.ring = ring_buffer__new(bpf_map__fd(m.skel->maps.events), &Impl::on_record, &m, nullptr);
    if (!m.ring) return Error::io(std::string{"BPF: ring buffer: "} + std::strerror(errno));
    m.wall_minus_mono = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
    // The reset reasons as this kernel names them.
    if (btf* vmlinux = btf__load_vmlinux_btf()) {
        const int id = btf__find_by_name_kind(vmlinux, "sk_rst_reason", BTF_KIND_ENUM);
        if (id > 0) {
            const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(id));
            const struct btf_enum* values = btf_enum(t);
            for (unsigned i = 0; i < btf_vlen(t); ++i) {
                std::string name = btf__name_by_offset(vmlinux, values[i].name_off);
                if (name.starts_with("SK_RST_REASON_")) name = name.substr(14);
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                const auto v = static_cast<std::size_t>(values[i].val);
                if (v < 4096) {
                    if (m.reasons.size() <= v) m.reasons.resize(v + 1);
                    m.reasons[v] = name;
                }
            }
        }
        btf__free(vmlinux);
    }
    return src;
}

BpfSource::~BpfSource() = default;

Result<std::size_t> BpfSource::poll(int timeout_ms, const std::function<void(const KernelEvent&)>& sink) {
    impl_->sink = &sink;
    impl_->delivered = 0;
    // The BPF side wakes us only when a quarter of the ring waits; the rest
    // is drained here on our own clock.
    const int n = ring_buffer__poll(impl_->ring, timeout_ms);
    if (n < 0 && n != -EINTR) return Error::io(std::string{"BPF: ring buffer poll: "} + std::strerror(-n));
    const int more = ring_buffer__consume(impl_->ring);
    if (more < 0 && more != -EINTR) return Error::io(std::string{"BPF: ring buffer: "} + std::strerror(-more));
    return impl_->delivered;
}

std::uint64_t BpfSource::lost() const {
    const int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return 0;
    std::vector<__u64> per_cpu(static_cast<std::size_t>(ncpu));
    __u32 zero = 0;
    if (bpf_map__lookup_elem(impl_->skel->maps.lost, &zero, sizeof zero, per_cpu.data(), per_cpu.size() * sizeof(__u64), 0) != 0)
        return 0;
    std::uint64_t total = 0;
    for (const auto v : per_cpu) total += v;
    return total;
}

std::string BpfSource::reset_reason_name(std::uint32_t reason) const {
    if (reason < impl_->reasons.size() && !impl_->reasons[reason].empty()) return impl_->reasons[reason];
    return std::to_string(reason);
}

} // namespace teardown::watch
