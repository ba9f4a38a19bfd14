#pragma once
// tcpdump filter expressions ("tcp port 80", "host 192.0.2.1 and tcp[13] & 1
// != 0") applied to frames of a file: libpcap compiles them to BPF once, and
// each frame runs through the program.
#include <memory>
#include <string>

#include "capture/frame.hpp"
#include "core/result.hpp"
#include "wire/link_type.hpp"

namespace teardown::capture {

class PacketFilter {
public:
    static Result<PacketFilter> compile(wire::LinkType link, const std::string& expression);
    bool matches(const Frame& frame) const;
    const std::string& expression() const { return expression_; }
    wire::LinkType link() const { return link_; }

private:
    struct Program;
    std::shared_ptr<Program> program_;
    std::string expression_;
    wire::LinkType link_{wire::LinkType::ethernet};
};

// libpcap's DLT_ numbers equal the LINKTYPE_ numbers of files but for a few
// historical ones (DLT_RAW is 12 or 14, LINKTYPE_RAW is 101, ...).
int dlt_of(wire::LinkType link);
wire::LinkType link_type_of_dlt(int dlt);

} // namespace teardown::capture
