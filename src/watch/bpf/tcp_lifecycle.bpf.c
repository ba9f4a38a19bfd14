// The kernel side of `teardown watch`: every TCP state change, reset sent or
// received, retransmission and socket destruction, as a td_event in one
// ring buffer. tp_btf programs, so no tracefs is needed; CO-RE reads, so
// the object runs on other kernels with BTF. A full ring buffer drops the
// event and counts it: user space shows the count.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tcp_events.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_SYN_SENT 2

// Set by user space before load: 0 watches every namespace.
const volatile __u32 only_netns = 0;
// Bytes waiting in the ring before the reader is woken (user space drains it
// on its own clock too): a wake-up per event would cost more than the event.
const volatile __u64 wake_bytes = 1 << 20;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 22);  // user space may resize before load
} events SEC(".maps");

// Events the ring buffer had no room for.
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

static __always_inline void submit(void* e) {
    const __u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, waiting >= wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void count_lost(void) {
    __u32 zero = 0;
    __u64* n = bpf_map_lookup_elem(&lost, &zero);
    if (n) *n += 1;
}

static __always_inline bool tcp_of_interest(const struct sock* sk) {
    if (!sk) return false;
    if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return false;
    const __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (family != AF_INET && family != AF_INET6) return false;
    return only_netns == 0 || BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == only_netns;
}

// A zeroed event of `kind` in the ring, or none (counted as lost).
static __always_inline struct td_event* reserve(__u8 kind) {
    struct td_event* e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
    if (!e) {
        count_lost();
        return 0;
    }
    __builtin_memset(e, 0, sizeof *e);
    e->ts_ns = bpf_ktime_get_ns();
    e->kind = kind;
    return e;
}

// The common part of every event about a socket.
static __always_inline struct td_event* start(const struct sock* sk, __u8 kind) {
    struct td_event* e = reserve(kind);
    if (!e) return 0;
    e->cookie = bpf_get_socket_cookie((void*)sk);
    e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
    e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
    // Whole addresses: BPF_CORE_READ_INTO on an array would copy one element.
    if (e->family == AF_INET) {
        bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
        bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
    } else {
        bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
        bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
    }
    e->sk_err = BPF_CORE_READ(sk, sk_err);
    // SOCK_DONE (bit 1 of sk_flags, which is __sk_common.skc_flags) is set by tcp_fin(): the peer's FIN came.
    // (sk_shutdown will not do: close() sets both of its bits itself.)
    e->peer_fin = (BPF_CORE_READ(sk, __sk_common.skc_flags) >> 1) & 1;
    e->total_retrans = BPF_CORE_READ((const struct tcp_sock*)sk, total_retrans);
    return e;
}

// Connections whose owner was told already: a passive one's owner is the
// first task to read or write it (sock:sock_recv_length / sock_send_length
// run in that task's context). fexit on inet_csk_accept would be exact, but
// BPF trampolines and kprobes are not available on every kernel (not on the
// ones we test on); these tracepoints are.
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 1 << 16);
    __type(key, __u64);
    __type(value, __u8);
} owned SEC(".maps");

static __always_inline void owner_event(const struct sock* sk) {
    struct td_event* e = start(sk, TD_OWNER);
    if (!e) return;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(e->comm, sizeof e->comm);
    e->cgroup = bpf_get_current_cgroup_id();
    submit(e);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, const struct sock* sk, const int oldstate, const int newstate) {
    if (!tcp_of_interest(sk)) return 0;
    struct td_event* e = start(sk, TD_STATE);
    if (!e) return 0;
    e->old_state = oldstate;
    e->new_state = newstate;
    __u64 cookie = e->cookie;
    submit(e);
    // connect(): the task on the CPU is the owner only now (later changes run in softirq).
    if (newstate == TCP_SYN_SENT) {
        __u8 one = 1;
        bpf_map_update_elem(&owned, &cookie, &one, BPF_ANY);
        owner_event(sk);
    }
    return 0;
}

static __always_inline void claim(const struct sock* sk) {
    if (!tcp_of_interest(sk)) return;
    __u64 cookie = bpf_get_socket_cookie((void*)sk);
    if (bpf_map_lookup_elem(&owned, &cookie)) return;  // told already: the common case, a lookup only
    __u8 one = 1;
    if (bpf_map_update_elem(&owned, &cookie, &one, BPF_NOEXIST) != 0) return;
    owner_event(sk);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(on_recv_length, struct sock* sk, int ret, int flags) {
    claim(sk);
    return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(on_send_length, struct sock* sk, int ret, int flags) {
    claim(sk);
    return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset, const struct sock* sk, const struct sk_buff* skb, const enum sk_rst_reason reason) {
    // Since Linux 6.10 it may fire with no socket: a reset for a segment that matched none.
    if (sk && !tcp_of_interest(sk)) return 0;
    // With no socket, the namespace is the one of the device the segment came in on.
    const __u32 netns = sk || !skb ? 0 : BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
    if (!sk && only_netns != 0 && netns != only_netns) return 0;
    struct td_event* e = sk ? start(sk, TD_RST_SENT) : reserve(TD_RST_SENT);
    if (!e) return 0;
    if (!sk) e->netns = netns;
    e->reason = reason;
    submit(e);
    return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_receive_reset, struct sock* sk) {
    if (!tcp_of_interest(sk)) return 0;
    struct td_event* e = start(sk, TD_RST_RECV);
    if (e) submit(e);
    return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit, const struct sock* sk, const struct sk_buff* skb, int err) {
    if (!tcp_of_interest(sk)) return 0;
    struct td_event* e = start(sk, TD_RETRANS);
    if (e) submit(e);
    return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(on_destroy, struct sock* sk) {
    if (!tcp_of_interest(sk)) return 0;
    struct td_event* e = start(sk, TD_DESTROY);
    if (!e) return 0;
    __u64 cookie = e->cookie;
    submit(e);
    bpf_map_delete_elem(&owned, &cookie);
    return 0;
}
