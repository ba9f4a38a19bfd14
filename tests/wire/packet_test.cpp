// Whole frames built for every link type, decoded back field by field.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "wire/frame_builder.hpp"
#include "wire/ipv4.hpp"
#include "wire/ipv6.hpp"
#include "wire/link.hpp"
#include "wire/packet.hpp"

using namespace teardown;
using namespace teardown::wire;

namespace {

FrameSpec spec(LinkType link, bool v6 = false) {
    FrameSpec s;
    s.link = link;
    s.src = *IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1");
    s.dst = *IpAddress::parse(v6 ? "2001:db8::2" : "192.0.2.2");
    s.ttl = 57;
    s.ip_id = 0x1234;
    s.tcp.src_port = 40000;
    s.tcp.dst_port = 80;
    s.tcp.seq = SeqNum{1001};
    s.tcp.ack = SeqNum{5001};
    s.tcp.flags = TcpFlags{TcpFlags::fin | TcpFlags::ack};
    s.tcp.window = 512;
    s.tcp.options.timestamps = Timestamps{10, 20};
    return s;
}

std::vector<std::byte> build(const FrameSpec& s) {
    std::vector<std::byte> out;
    auto r = build_frame(s, out);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return out;
}

void expect_segment(const DecodedPacket& d, const FrameSpec& s) {
    ASSERT_TRUE(d.is_ip);
    ASSERT_TRUE(d.is_tcp());
    EXPECT_EQ(d.src(), s.src);
    EXPECT_EQ(d.dst(), s.dst);
    EXPECT_EQ(d.ttl, s.ttl);
    EXPECT_EQ(d.tcp->src_port(), s.tcp.src_port);
    EXPECT_EQ(d.tcp->dst_port(), s.tcp.dst_port);
    EXPECT_EQ(d.tcp->seq(), s.tcp.seq);
    EXPECT_EQ(d.tcp->ack(), s.tcp.ack);
    EXPECT_EQ(d.tcp->flags(), s.tcp.flags);
    EXPECT_EQ(d.tcp->window(), s.tcp.window);
    EXPECT_EQ(d.tcp->payload_length(), s.payload.size());
    auto repr = d.tcp->to_repr();
    ASSERT_TRUE(repr.ok());
    EXPECT_EQ(*repr, s.tcp);
    EXPECT_EQ(d.tcp_checksum(), s.corrupt_tcp_checksum ? ChecksumStatus::invalid : ChecksumStatus::valid);
}

} // namespace

class EveryLinkType : public ::testing::TestWithParam<std::tuple<LinkType, bool>> {};

TEST_P(EveryLinkType, frame_round_trips) {
    auto [link, v6] = GetParam();
    auto s = spec(link, v6);
    std::vector<std::byte> payload(25, std::byte{'p'});
    s.payload = payload;
    auto frame = build(s);
    auto d = decode(link, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->ip_version, v6 ? IpVersion::v6 : IpVersion::v4);
    expect_segment(*d, s);
    if (!v6) {
        EXPECT_EQ(d->ip_id, 0x1234);
        EXPECT_EQ(d->ip_checksum(), ChecksumStatus::valid);
    }
}

INSTANTIATE_TEST_SUITE_P(BothFamilies, EveryLinkType,
                         ::testing::Combine(::testing::Values(LinkType::ethernet, LinkType::linux_sll, LinkType::linux_sll2,
                                                              LinkType::null, LinkType::loop, LinkType::raw),
                                            ::testing::Bool()));
// The bare-IP link types fix the family.
INSTANTIATE_TEST_SUITE_P(OneFamily, EveryLinkType,
                         ::testing::Values(std::tuple{LinkType::ipv4, false}, std::tuple{LinkType::ipv6, true}));

TEST(Packet, vlan_and_qinq_tags_are_walked_outermost_first) {
    auto s = spec(LinkType::ethernet);
    s.vlans = {100, 200};
    auto frame = build(s);
    EXPECT_EQ(frame[12], std::byte{0x88});  // 802.1ad outer tag
    EXPECT_EQ(frame[13], std::byte{0xA8});
    auto d = decode(LinkType::ethernet, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->link_view.vlan_count, 2);
    EXPECT_EQ(d->link_view.vlan_ids[0], 100);
    EXPECT_EQ(d->link_view.vlan_ids[1], 200);
    expect_segment(*d, s);
}

TEST(Packet, ipv4_options_are_skipped_to_reach_tcp) {
    auto s = spec(LinkType::ethernet);
    s.ipv4_options = {std::byte{0x07}, std::byte{0x07}, std::byte{0x04}, std::byte{0}, std::byte{0}, std::byte{0},
                      std::byte{0}};  // record route, padded by the builder
    auto frame = build(s);
    auto d = decode(LinkType::ethernet, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    auto ip = Ipv4View::parse(std::span{frame}.subspan(14), frame.size() - 14);
    ASSERT_TRUE(ip.ok());
    EXPECT_EQ(ip->header_length(), 28u);
    EXPECT_EQ(ip->options().size(), 8u);
    expect_segment(*d, s);
    EXPECT_EQ(d->ip_length, frame.size() - 14);  // the datagram, without the link header
}

// Zeek's ip_bytes are the IP header's length, not the frame's: Ethernet
// pads a short frame to 60 bytes, and the link header is not IP's.
TEST(Packet, the_ip_length_is_the_headers_not_the_frames) {
    for (const bool v6 : {false, true}) {
        auto s = spec(LinkType::ethernet, v6);
        s.tcp.options = {};
        s.ipv6_extensions = {};
        if (v6) s.ipv6_extensions = {{60, {}}};
        auto frame = build(s);
        const std::size_t datagram = frame.size() - 14;
        frame.resize(std::max<std::size_t>(frame.size(), 64));  // padding after a short datagram
        const auto d = decode(LinkType::ethernet, frame, static_cast<std::uint32_t>(frame.size()));
        ASSERT_TRUE(d.ok()) << d.error().message;
        EXPECT_EQ(d->ip_length, datagram) << v6;
        EXPECT_EQ(d->ip_length, v6 ? 40u + 8u + 20u : 20u + 20u);
    }
}

TEST(Packet, ipv6_extension_headers_are_walked_to_tcp) {
    auto s = spec(LinkType::raw, true);
    s.ipv6_extensions = {{0, {std::byte{1}, std::byte{4}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}}},
                         {60, {}},
                         {43, std::vector<std::byte>(14, std::byte{0})}};
    auto frame = build(s);
    auto ip = Ipv6View::parse(frame, frame.size());
    ASSERT_TRUE(ip.ok()) << ip.error().message;
    EXPECT_EQ(ip->extension_count(), 3);
    EXPECT_EQ(ip->extension_length(), 8u + 8u + 16u);
    EXPECT_EQ(ip->upper_protocol(), 6);
    auto d = decode(LinkType::raw, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    expect_segment(*d, s);
}

TEST(Packet, ipv6_first_fragment_has_tcp_later_fragments_do_not) {
    auto s = spec(LinkType::raw, true);
    s.ipv6_extensions = {{44, {std::byte{0}, std::byte{1}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{7}}}};
    auto first = build(s);
    auto d = decode(LinkType::raw, first, static_cast<std::uint32_t>(first.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_TRUE(d->fragment);
    ASSERT_TRUE(d->is_tcp());
    EXPECT_EQ(d->tcp_checksum(), ChecksumStatus::unknown);
    auto later = first;
    later[42] = std::byte{0x01};  // fragment offset 32 (8-byte units), M set
    auto d2 = decode(LinkType::raw, later, static_cast<std::uint32_t>(later.size()));
    ASSERT_TRUE(d2.ok()) << d2.error().message;
    EXPECT_TRUE(d2->fragment);
    EXPECT_FALSE(d2->is_tcp());
}

TEST(Packet, ipv4_non_first_fragment_is_flagged_without_tcp) {
    auto s = spec(LinkType::ethernet);
    s.dont_fragment = false;
    s.fragment_offset = 10;
    auto frame = build(s);
    auto d = decode(LinkType::ethernet, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->fragment);
    EXPECT_FALSE(d->is_tcp());
}

TEST(Packet, bad_checksums_are_reported_not_rejected) {
    auto s = spec(LinkType::ethernet);
    s.corrupt_tcp_checksum = true;
    s.corrupt_ip_checksum = true;
    auto frame = build(s);
    auto d = decode(LinkType::ethernet, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->ip_checksum(), ChecksumStatus::invalid);
    EXPECT_EQ(d->tcp_checksum(), ChecksumStatus::invalid);
}

TEST(Packet, snapshot_truncated_payload_leaves_the_checksum_unknown) {
    auto s = spec(LinkType::ethernet);
    std::vector<std::byte> payload(200, std::byte{'z'});
    s.payload = payload;
    auto frame = build(s);
    auto d = decode(LinkType::ethernet, std::span{frame}.first(96), static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->tcp->payload_length(), 200u);
    EXPECT_EQ(d->tcp_checksum(), ChecksumStatus::unknown);
}

TEST(Packet, every_truncation_inside_the_headers_is_an_error_never_a_crash) {
    for (auto link : {LinkType::ethernet, LinkType::linux_sll, LinkType::linux_sll2, LinkType::null}) {
        for (bool v6 : {false, true}) {
            auto s = spec(link, v6);
            s.vlans = link == LinkType::ethernet ? std::vector<std::uint16_t>{7} : std::vector<std::uint16_t>{};
            auto frame = build(s);
            const std::size_t headers = frame.size();  // no payload: all of it is headers
            for (std::size_t n = 0; n < headers; ++n) {
                // Both as a capture cut short (orig_len whole) and as a frame that really is short.
                auto cut = decode(link, std::span{frame}.first(n), static_cast<std::uint32_t>(frame.size()));
                auto shortf = decode(link, std::span{frame}.first(n), static_cast<std::uint32_t>(n));
                EXPECT_FALSE(cut.ok() && cut->is_tcp()) << to_string(link) << " " << n;
                EXPECT_FALSE(shortf.ok() && shortf->is_tcp()) << to_string(link) << " " << n;
            }
        }
    }
}

TEST(Packet, lengths_that_overrun_name_the_field) {
    auto s = spec(LinkType::raw);
    auto frame = build(s);
    frame[2] = std::byte{0x05};  // total length 0x05xx, far past the packet
    auto d = decode(LinkType::raw, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("ipv4: total length"), std::string::npos) << d.error().message;

    frame = build(s);
    frame[0] = std::byte{0x44};  // IHL 4
    d = decode(LinkType::raw, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, "ipv4: header length field 4 is below 5");

    auto s6 = spec(LinkType::raw, true);
    s6.ipv6_extensions = {{60, std::vector<std::byte>(6, std::byte{0})}};
    frame = build(s6);
    frame[41] = std::byte{0x20};  // the extension claims 264 bytes
    d = decode(LinkType::raw, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("runs past the payload length"), std::string::npos) << d.error().message;
}

TEST(Packet, non_ip_and_non_tcp_frames_are_described_not_rejected) {
    std::vector<std::byte> arp(42, std::byte{0});
    arp[12] = std::byte{0x08};
    arp[13] = std::byte{0x06};
    auto d = decode(LinkType::ethernet, arp, 42);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(d->is_ip);
    EXPECT_EQ(d->link_view.ethertype, 0x0806);

    auto s = spec(LinkType::raw);
    auto frame = build(s);
    frame[9] = std::byte{17};  // say UDP
    d = decode(LinkType::raw, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->is_ip);
    EXPECT_FALSE(d->is_tcp());
    EXPECT_EQ(d->protocol, 17);
}

TEST(Packet, null_link_accepts_either_byte_order) {
    auto s = spec(LinkType::null, true);
    auto frame = build(s);
    std::swap(frame[0], frame[3]);
    std::swap(frame[1], frame[2]);  // as a big-endian host wrote it
    auto d = decode(LinkType::null, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->is_tcp());
}
