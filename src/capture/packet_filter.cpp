#include "capture/packet_filter.hpp"

#include <pcap/pcap.h>

namespace teardown::capture {

struct PacketFilter::Program {
    bpf_program bpf{};
    ~Program() { pcap_freecode(&bpf); }
};

int dlt_of(wire::LinkType link) {
    switch (link) {
    case wire::LinkType::raw: return DLT_RAW;
    case wire::LinkType::loop: return DLT_LOOP;
    case wire::LinkType::null:
    case wire::LinkType::ethernet:
    case wire::LinkType::linux_sll:
    case wire::LinkType::ipv4:
    case wire::LinkType::ipv6:
    case wire::LinkType::linux_sll2:
        return static_cast<int>(link);
    }
    return static_cast<int>(link);
}

wire::LinkType link_type_of_dlt(int dlt) {
    if (dlt == DLT_RAW || dlt == 12 || dlt == 14) return wire::LinkType::raw;
    if (dlt == DLT_LOOP) return wire::LinkType::loop;
    return static_cast<wire::LinkType>(dlt);
}

Result<PacketFilter> PacketFilter::compile(wire::LinkType link, const std::string& expression) {
    PacketFilter f;
    f.expression_ = expression;
    f.link_ = link;
    pcap_t* dead = pcap_open_dead(dlt_of(link), 262144);
    if (dead == nullptr) return Error::unsupported("filter: libpcap cannot open a handle for link type " + std::string{to_string(link)});
    auto program = std::make_shared<Program>();
    if (pcap_compile(dead, &program->bpf, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        std::string message = pcap_geterr(dead);
        pcap_close(dead);
        return Error::parse("filter '" + expression + "': " + message);
    }
    pcap_close(dead);
    f.program_ = std::move(program);
    return f;
}

bool PacketFilter::matches(const Frame& frame) const {
    pcap_pkthdr h{};
    h.caplen = static_cast<bpf_u_int32>(frame.data.size());
    h.len = frame.orig_len;
    return pcap_offline_filter(&program_->bpf, &h, reinterpret_cast<const u_char*>(frame.data.data())) != 0;
}

} // namespace teardown::capture
