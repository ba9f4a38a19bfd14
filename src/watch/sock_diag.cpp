#include "watch/sock_diag.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace teardown::watch {

namespace {

struct Dump {
    std::vector<DiagSocket>* out;
    std::uint8_t family;
};

int on_attr(const nlattr* attr, void* data) {
    auto* info = static_cast<const nlattr**>(data);
    if (mnl_attr_get_type(attr) == INET_DIAG_INFO) *info = attr;
    return MNL_CB_OK;
}

int on_message(const nlmsghdr* nlh, void* data) {
    auto* d = static_cast<Dump*>(data);
    const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
    DiagSocket s;
    const auto state = kernel_state(msg->idiag_state);
    if (!state) return MNL_CB_OK;
    s.state = *state;
    s.cookie = static_cast<std::uint64_t>(msg->id.idiag_cookie[1]) << 32 | msg->id.idiag_cookie[0];
    const auto* src = reinterpret_cast<const std::byte*>(msg->id.idiag_src);
    const auto* dst = reinterpret_cast<const std::byte*>(msg->id.idiag_dst);
    const bool v6 = msg->idiag_family == AF_INET6;
    s.tuple.local = {v6 ? wire::IpAddress::v6(src) : wire::IpAddress::v4(src), ntohs(msg->id.idiag_sport)};
    s.tuple.remote = {v6 ? wire::IpAddress::v6(dst) : wire::IpAddress::v4(dst), ntohs(msg->id.idiag_dport)};
    s.inode = msg->idiag_inode;
    s.uid = msg->idiag_uid;
    s.recv_q = msg->idiag_rqueue;
    const nlattr* info = nullptr;
    mnl_attr_parse(nlh, sizeof(*msg), on_attr, &info);
    if (info && mnl_attr_get_payload_len(info) >= offsetof(tcp_info, tcpi_total_retrans) + sizeof(std::uint32_t)) {
        tcp_info ti{};
        std::memcpy(&ti, mnl_attr_get_payload(info), std::min<std::size_t>(sizeof ti, mnl_attr_get_payload_len(info)));
        s.retransmits = ti.tcpi_total_retrans;
    }
    d->out->push_back(s);
    return MNL_CB_OK;
}

Result<void> dump_family(mnl_socket* nl, std::uint8_t family, std::vector<DiagSocket>& out) {
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    const unsigned seq = static_cast<unsigned>(time(nullptr)) + family;
    nlh->nlmsg_seq = seq;
    auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
    req->sdiag_family = family;
    req->sdiag_protocol = IPPROTO_TCP;
    req->idiag_states = ~0u;  // every state, TIME_WAIT and NEW_SYN_RECV included
    req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return Error::io(std::string{"sock_diag: send: "} + std::strerror(errno));
    const unsigned portid = mnl_socket_get_portid(nl);
    Dump d{&out, family};
    for (;;) {
        const auto n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
        if (n < 0) return Error::io(std::string{"sock_diag: receive: "} + std::strerror(errno));
        const int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, on_message, &d);
        if (r == MNL_CB_STOP) return {};
        if (r < 0) return Error::io(std::string{"sock_diag: "} + std::strerror(errno));
    }
}

} // namespace

Result<std::vector<DiagSocket>> dump_tcp_sockets() {
    std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> nl{mnl_socket_open(NETLINK_SOCK_DIAG), &mnl_socket_close};
    if (!nl) return Error::io(std::string{"sock_diag: netlink socket: "} + std::strerror(errno));
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) return Error::io(std::string{"sock_diag: bind: "} + std::strerror(errno));
    std::vector<DiagSocket> out;
    for (const std::uint8_t family : {std::uint8_t{AF_INET}, std::uint8_t{AF_INET6}})
        if (auto r = dump_family(nl.get(), family, out); !r) return r.error();
    return out;
}

} // namespace teardown::watch
