/* What the BPF program tells user space, one record per kernel event. Read
 * by both sides: the BPF C program (tcp_lifecycle.bpf.c) and the C++ loader
 * (watch/bpf_source.cpp). Fixed-size fields only, laid out without padding
 * holes so that both compilers agree. */
#ifndef TEARDOWN_WATCH_TCP_EVENTS_H
#define TEARDOWN_WATCH_TCP_EVENTS_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t td_u8;
typedef uint16_t td_u16;
typedef uint32_t td_u32;
typedef uint64_t td_u64;
#else
typedef __u8 td_u8;
typedef __u16 td_u16;
typedef __u32 td_u32;
typedef __u64 td_u64;
#endif

enum td_event_kind {
    TD_STATE = 1,      /* sock:inet_sock_set_state: old -> new */
    TD_RST_SENT = 2,   /* tcp:tcp_send_reset (cookie 0: a reset for no socket) */
    TD_RST_RECV = 3,   /* tcp:tcp_receive_reset */
    TD_RETRANS = 4,    /* tcp:tcp_retransmit_skb */
    TD_DESTROY = 5,    /* tcp:tcp_destroy_sock */
    TD_OWNER = 6,      /* the process that accepted or connected it */
};

#define TD_COMM_LEN 16

struct td_event {
    td_u64 ts_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
    td_u64 cookie;       /* the socket cookie, as sock_diag reports it */
    td_u32 netns;        /* the network namespace's inode number */
    td_u32 pid;          /* TD_OWNER: the owner's tgid */
    td_u8 kind;          /* enum td_event_kind */
    td_u8 family;        /* AF_INET 2, AF_INET6 10 */
    td_u8 old_state;     /* the kernel's TCP_* numbers */
    td_u8 new_state;
    td_u16 sport;        /* host order */
    td_u16 dport;
    td_u8 saddr[16];     /* IPv4: the first 4 bytes */
    td_u8 daddr[16];
    td_u32 sk_err;       /* at the transition: the socket's pending error */
    td_u32 reason;       /* TD_RST_SENT: enum sk_rst_reason */
    td_u32 total_retrans;
    td_u32 peer_fin;     /* SOCK_DONE: the peer's FIN has come */
    char comm[TD_COMM_LEN];
    td_u64 cgroup;       /* TD_OWNER: the owner's cgroup v2 id (its directory's inode) */
};

#endif
