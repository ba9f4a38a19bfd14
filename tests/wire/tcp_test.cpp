#include <gtest/gtest.h>

#include <vector>

#include "wire/bytes.hpp"
#include "wire/tcp.hpp"

using namespace teardown;
using namespace teardown::wire;

namespace {

const IpAddress k_src = *IpAddress::parse("192.0.2.1");
const IpAddress k_dst = *IpAddress::parse("192.0.2.2");

// The checksum computed the slow, obvious way: 16-bit words, pseudo-header by hand.
std::uint16_t reference_checksum(const std::vector<std::byte>& seg, const IpAddress& s, const IpAddress& d) {
    std::vector<std::uint8_t> all;
    const std::size_t n = s.is_v4() ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i) all.push_back(s.bytes()[i]);
    for (std::size_t i = 0; i < n; ++i) all.push_back(d.bytes()[i]);
    if (s.is_v4()) {
        all.push_back(0);
        all.push_back(6);
        all.push_back(static_cast<std::uint8_t>(seg.size() >> 8));
        all.push_back(static_cast<std::uint8_t>(seg.size()));
    } else {
        for (int shift : {24, 16, 8, 0}) all.push_back(static_cast<std::uint8_t>(seg.size() >> shift));
        all.insert(all.end(), {0, 0, 0, 6});
    }
    for (std::size_t i = 0; i < seg.size(); ++i) all.push_back(i == 16 || i == 17 ? 0 : std::to_integer<std::uint8_t>(seg[i]));
    if (all.size() % 2) all.push_back(0);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < all.size(); i += 2) {
        sum += (all[i] << 8) | all[i + 1];
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

TcpRepr syn_repr() {
    TcpRepr r;
    r.src_port = 40000;
    r.dst_port = 80;
    r.seq = SeqNum{0xFFFFFFF0u};
    r.flags = TcpFlags{TcpFlags::syn};
    r.window = 64240;
    r.options.mss = 1460;
    r.options.sack_permitted = true;
    r.options.window_scale = 7;
    r.options.timestamps = Timestamps{123456, 0};
    return r;
}

std::vector<std::byte> emit(const TcpRepr& r, OptionLayout layout, std::span<const std::byte> payload = {},
                            const IpAddress& s = k_src, const IpAddress& d = k_dst) {
    std::vector<std::byte> out(100 + payload.size());
    auto n = emit_tcp(r, layout, payload, s, d, out);
    EXPECT_TRUE(n.ok()) << n.error().message;
    out.resize(n.ok() ? *n : 0);
    return out;
}

std::vector<std::uint8_t> option_kinds(const TcpView& v) {
    std::vector<std::uint8_t> kinds;
    auto it = v.option_iterator();
    TcpOptionView o;
    while (it.next(o)) kinds.push_back(o.kind);
    return kinds;
}

} // namespace

TEST(TcpFlags, print_as_tcpdump_does) {
    EXPECT_EQ(TcpFlags{TcpFlags::syn}.to_tcpdump(), "S");
    EXPECT_EQ(TcpFlags{TcpFlags::syn | TcpFlags::ack}.to_tcpdump(), "S.");
    EXPECT_EQ(TcpFlags{TcpFlags::fin | TcpFlags::ack}.to_tcpdump(), "F.");
    EXPECT_EQ(TcpFlags{TcpFlags::fin | TcpFlags::psh | TcpFlags::ack}.to_tcpdump(), "FP.");
    EXPECT_EQ(TcpFlags{TcpFlags::rst}.to_tcpdump(), "R");
    EXPECT_EQ(TcpFlags{TcpFlags::rst | TcpFlags::ack}.to_tcpdump(), "R.");
    EXPECT_EQ(TcpFlags{TcpFlags::ack}.to_tcpdump(), ".");
    EXPECT_EQ(TcpFlags{TcpFlags::syn | TcpFlags::ece | TcpFlags::cwr}.to_tcpdump(), "SEW");
    EXPECT_EQ(TcpFlags{}.to_tcpdump(), "none");
}

TEST(Tcp, syn_round_trips_through_bytes_in_both_layouts) {
    for (auto layout : {OptionLayout::rfc, OptionLayout::linux}) {
        auto bytes = emit(syn_repr(), layout);
        auto view = TcpView::parse(bytes, bytes.size());
        ASSERT_TRUE(view.ok()) << view.error().message;
        auto repr = view->to_repr();
        ASSERT_TRUE(repr.ok()) << repr.error().message;
        EXPECT_EQ(*repr, syn_repr());
        EXPECT_EQ(view->header_length() % 4, 0u);
        EXPECT_TRUE(tcp_checksum_valid(bytes, k_src, k_dst));
        EXPECT_EQ(view->checksum(), reference_checksum(bytes, k_src, k_dst));
    }
}

TEST(Tcp, linux_layout_is_mss_sackok_ts_nop_wscale) {
    auto bytes = emit(syn_repr(), OptionLayout::linux);
    auto view = TcpView::parse(bytes, bytes.size());
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(option_kinds(*view), (std::vector<std::uint8_t>{2, 4, 8, 1, 3}));
    EXPECT_EQ(view->header_length(), 40u);
}

TEST(Tcp, rfc_layout_pads_each_option_with_nops) {
    auto bytes = emit(syn_repr(), OptionLayout::rfc);
    auto view = TcpView::parse(bytes, bytes.size());
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(option_kinds(*view), (std::vector<std::uint8_t>{2, 1, 3, 1, 1, 4, 1, 1, 8}));
}

TEST(Tcp, data_segment_with_sack_blocks_and_unknown_option_round_trips_over_ipv6) {
    TcpRepr r;
    r.src_port = 443;
    r.dst_port = 50000;
    r.seq = SeqNum{1000};
    r.ack = SeqNum{2000};
    r.flags = TcpFlags{TcpFlags::psh | TcpFlags::ack};
    r.window = 501;
    r.options.timestamps = Timestamps{7, 9};
    r.options.sack_blocks = {{SeqNum{3000}, SeqNum{3100}}, {SeqNum{3200}, SeqNum{3300}}};
    r.options.unknown = {UnknownOption{30, {0xAB, 0xCD}}};
    std::vector<std::byte> payload(33, std::byte{'x'});
    const auto s6 = *IpAddress::parse("2001:db8::1");
    const auto d6 = *IpAddress::parse("2001:db8::2");
    auto bytes = emit(r, OptionLayout::linux, payload, s6, d6);
    auto view = TcpView::parse(bytes, bytes.size());
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->payload_length(), 33u);
    EXPECT_TRUE(view->payload_complete());
    auto back = view->to_repr();
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, r);
    EXPECT_EQ(view->checksum(), reference_checksum(bytes, s6, d6));
    EXPECT_TRUE(tcp_checksum_valid(bytes, s6, d6));
    bytes[25] ^= std::byte{1};
    EXPECT_FALSE(tcp_checksum_valid(bytes, s6, d6));
}

TEST(Tcp, options_over_forty_bytes_are_refused) {
    TcpRepr r = syn_repr();
    r.options.sack_blocks = {{SeqNum{1}, SeqNum{2}}, {SeqNum{3}, SeqNum{4}}, {SeqNum{5}, SeqNum{6}}};
    std::vector<std::byte> out(200);
    auto n = emit_tcp(r, OptionLayout::rfc, {}, k_src, k_dst, out);
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("at most 40"), std::string::npos);
}

TEST(Tcp, every_truncation_of_the_header_is_an_error_not_a_crash) {
    auto bytes = emit(syn_repr(), OptionLayout::linux);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        auto view = TcpView::parse(std::span{bytes}.first(n), bytes.size());
        EXPECT_FALSE(view.ok()) << n;
    }
}

TEST(Tcp, data_offset_below_five_or_past_the_segment_is_an_error) {
    auto bytes = emit(syn_repr(), OptionLayout::linux);
    bytes[12] = std::byte{0x40};
    auto low = TcpView::parse(bytes, bytes.size());
    ASSERT_FALSE(low.ok());
    EXPECT_EQ(low.error().message, "tcp: data offset 4 is below 5");
    bytes[12] = std::byte{0xF0};
    auto high = TcpView::parse(std::span{bytes}.first(40), 40);
    ASSERT_FALSE(high.ok());
    EXPECT_EQ(high.error().code, teardown::ErrorCode::bad_length);
}

TEST(Tcp, payload_cut_by_the_snapshot_length_is_not_an_error) {
    std::vector<std::byte> payload(100, std::byte{'y'});
    TcpRepr r = syn_repr();
    r.flags = TcpFlags{TcpFlags::ack};
    auto bytes = emit(r, OptionLayout::rfc, payload);
    auto view = TcpView::parse(std::span{bytes}.first(bytes.size() - 60), bytes.size());
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->payload_length(), 100u);
    EXPECT_EQ(view->payload().size(), 40u);
    EXPECT_FALSE(view->payload_complete());
}

TEST(TcpOptions, malformed_lengths_end_the_walk) {
    auto header = [](std::vector<int> opts) {
        std::vector<std::byte> b(20 + opts.size());
        b[12] = std::byte(static_cast<unsigned char>(((20 + opts.size()) / 4) << 4));
        for (std::size_t i = 0; i < opts.size(); ++i) b[20 + i] = std::byte(opts[i]);
        return b;
    };
    for (auto opts : {std::vector<int>{2, 0, 0, 0}, std::vector<int>{2, 1, 0, 0}, std::vector<int>{1, 1, 8, 10},
                      std::vector<int>{1, 1, 1, 30}}) {
        auto b = header(opts);
        auto view = TcpView::parse(b, b.size());
        ASSERT_TRUE(view.ok());
        auto repr = view->to_repr();
        EXPECT_FALSE(repr.ok());
        auto it = view->option_iterator();
        TcpOptionView o;
        while (it.next(o)) {
        }
        EXPECT_TRUE(it.malformed());
    }
}

TEST(TcpOptions, eol_ends_the_list_and_the_rest_is_padding) {
    std::vector<std::byte> b(28);
    b[12] = std::byte{0x70};
    const int opts[] = {3, 3, 7, 0, 0xEE, 0xEE, 0xEE, 0xEE};
    for (int i = 0; i < 8; ++i) b[20 + i] = std::byte(opts[i]);
    auto view = TcpView::parse(b, b.size());
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(option_kinds(*view), (std::vector<std::uint8_t>{3, 0}));
    auto repr = view->to_repr();
    ASSERT_TRUE(repr.ok());
    EXPECT_EQ(repr->options.window_scale, 7);
}
