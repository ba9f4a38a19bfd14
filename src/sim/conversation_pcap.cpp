#include "sim/conversation_pcap.hpp"

#include <algorithm>

#include "capture/pcap_writer.hpp"
#include "wire/frame_builder.hpp"

namespace teardown::sim {

Result<std::size_t> write_pcap(const std::vector<const Conversation*>& conversations, const std::string& path,
                               wire::LinkType link) {
    std::vector<const WireSegment*> all;
    for (const auto* c : conversations)
        for (const auto& s : c->segments()) all.push_back(&s);
    std::stable_sort(all.begin(), all.end(), [](const WireSegment* a, const WireSegment* b) { return a->at < b->at; });

    auto writer = capture::PcapWriter::create(path, link);
    if (!writer) return writer.error();
    std::vector<std::byte> frame;
    for (const auto* s : all) {
        wire::FrameSpec spec;
        spec.link = link;
        spec.src = s->src;
        spec.dst = s->dst;
        spec.tcp = s->tcp;
        spec.payload = s->payload;
        frame.clear();
        if (auto r = wire::build_frame(spec, frame); !r) return r.error();
        if (auto r = writer->write(s->at, frame); !r) return r.error();
    }
    if (auto r = writer->close(); !r) return r.error();
    return all.size();
}

} // namespace teardown::sim
