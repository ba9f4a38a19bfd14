// libFuzzer target for the packet decoder: the first byte picks the link type,
// the rest is the frame. Decoding, walking the options, building the repr and
// checking the checksum must never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/packet.hpp"

namespace {
constexpr teardown::wire::LinkType k_links[] = {
    teardown::wire::LinkType::ethernet, teardown::wire::LinkType::linux_sll, teardown::wire::LinkType::linux_sll2,
    teardown::wire::LinkType::null,     teardown::wire::LinkType::loop,      teardown::wire::LinkType::raw,
    teardown::wire::LinkType::ipv4,     teardown::wire::LinkType::ipv6,
};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto link = k_links[data[0] % std::size(k_links)];
    const std::span<const std::byte> frame{reinterpret_cast<const std::byte*>(data + 1), size - 1};
    // Claim a longer original length now and then, as a snapshot-truncated capture would.
    const auto orig = static_cast<std::uint32_t>(frame.size() + (data[0] & 0x80 ? 100 : 0));
    auto d = teardown::wire::decode(link, frame, orig);
    if (!d || !d->is_tcp()) return 0;
    auto it = d->tcp->option_iterator();
    teardown::wire::TcpOptionView o;
    std::size_t n = 0;
    while (it.next(o)) n += o.data.size();
    auto repr = d->tcp->to_repr();
    (void)repr;
    (void)d->tcp_checksum();
    return n > size ? 1 : 0;
}
