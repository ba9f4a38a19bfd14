#include "script/segment_match.hpp"

#include <array>

#include "wire/bytes.hpp"
#include "wire/tcp.hpp"

namespace teardown::script {

using wire::TcpFlags;

namespace {

// The options as they stand on the wire, in the order the layout writes
// them: what a script written against a stack's SYN compares with.
std::vector<TcpOptionSpec> wire_options(const engine::Segment& s, wire::OptionLayout layout, const SeqBase& base) {
    std::array<std::byte, 128> buf{};
    wire::TcpRepr header = s.tcp;
    auto len = wire::emit_tcp(header, layout, {}, s.src, s.dst, buf);
    std::vector<TcpOptionSpec> out;
    if (!len.ok()) return out;
    auto view = wire::TcpView::parse(std::span{buf}.first(*len), *len);
    if (!view.ok()) return out;
    auto it = view->option_iterator();
    wire::TcpOptionView o;
    while (it.next(o)) {
        TcpOptionSpec spec;
        const auto* d = o.data.data();
        switch (o.kind) {
        case wire::tcp_option::eol: continue;  // padding
        case wire::tcp_option::nop: spec.kind = TcpOptionSpec::Kind::nop; break;
        case wire::tcp_option::mss:
            spec.kind = TcpOptionSpec::Kind::mss;
            spec.value = wire::load_be16(d);
            break;
        case wire::tcp_option::window_scale:
            spec.kind = TcpOptionSpec::Kind::window_scale;
            spec.value = wire::load_u8(d);
            break;
        case wire::tcp_option::sack_permitted: spec.kind = TcpOptionSpec::Kind::sack_permitted; break;
        case wire::tcp_option::timestamps:
            spec.kind = TcpOptionSpec::Kind::timestamps;
            spec.value = wire::load_be32(d) - base.ts_offset.value_or(0);
            spec.value2 = wire::load_be32(d + 4);
            break;
        case wire::tcp_option::sack:
            spec.kind = TcpOptionSpec::Kind::sack;
            for (std::size_t i = 0; i + 8 <= o.data.size(); i += 8)
                spec.blocks.emplace_back(wire::load_be32(d + i), wire::load_be32(d + i + 4));
            break;
        default:
            spec.kind = TcpOptionSpec::Kind::other;
            spec.text = "kind " + std::to_string(o.kind);
            break;
        }
        out.push_back(std::move(spec));
    }
    return out;
}

std::string option_text(const TcpOptionSpec& o) {
    switch (o.kind) {
    case TcpOptionSpec::Kind::mss: return "mss " + std::to_string(o.value);
    case TcpOptionSpec::Kind::sack_permitted: return "sackOK";
    case TcpOptionSpec::Kind::timestamps:
        return "TS val " + std::to_string(o.value) + " ecr " + std::to_string(o.value2);
    case TcpOptionSpec::Kind::nop: return "nop";
    case TcpOptionSpec::Kind::eol: return "eol";
    case TcpOptionSpec::Kind::window_scale: return "wscale " + std::to_string(o.value);
    case TcpOptionSpec::Kind::sack: {
        std::string s = "sack";
        for (const auto& [l, r] : o.blocks) s += " " + std::to_string(l) + ":" + std::to_string(r);
        return s;
    }
    case TcpOptionSpec::Kind::other: return o.text;
    }
    return "?";
}

std::string options_text(const std::vector<TcpOptionSpec>& options) {
    std::string s = "<";
    for (std::size_t i = 0; i < options.size(); ++i) s += (i ? "," : "") + option_text(options[i]);
    return s + ">";
}

// packetdrill writes tcpdump's letters, and "-" for no flags.
std::string flags_text(std::uint8_t bits) { return bits == 0 ? "-" : TcpFlags{bits}.to_tcpdump(); }

// Whether an outbound option matches the script's: TSval is the engine's
// clock (learned, not compared); everything else must be equal.
bool same_option(const TcpOptionSpec& want, const TcpOptionSpec& got) {
    if (want.kind != got.kind) return false;
    switch (want.kind) {
    case TcpOptionSpec::Kind::mss:
    case TcpOptionSpec::Kind::window_scale: return want.value == got.value;
    case TcpOptionSpec::Kind::timestamps: return want.value2 == got.value2;
    case TcpOptionSpec::Kind::sack: return want.blocks == got.blocks;
    case TcpOptionSpec::Kind::other: return want.text == got.text;
    case TcpOptionSpec::Kind::sack_permitted:
    case TcpOptionSpec::Kind::nop:
    case TcpOptionSpec::Kind::eol: return true;
    }
    return false;
}

std::vector<TcpOptionSpec> without_eol(const std::vector<TcpOptionSpec>& options) {
    std::vector<TcpOptionSpec> out;
    for (const auto& o : options)
        if (o.kind != TcpOptionSpec::Kind::eol) out.push_back(o);
    return out;
}

} // namespace

engine::Segment inbound_segment(const PacketLine& line, const wire::FourTuple& tuple, const SeqBase& base) {
    engine::Segment s;
    s.src = tuple.remote.addr;
    s.dst = tuple.local.addr;
    s.tcp.src_port = tuple.remote.port;
    s.tcp.dst_port = tuple.local.port;
    s.tcp.flags = TcpFlags{line.flags};
    s.tcp.seq = SeqNum{line.seq_start};
    if (line.ack) s.tcp.ack = base.absolute(*line.ack);
    // A line without "win" offers the largest unscaled window.
    s.tcp.window = static_cast<std::uint16_t>(line.window.value_or(65535));
    if (line.options) {
        auto& o = s.tcp.options;
        for (const auto& spec : *line.options) {
            switch (spec.kind) {
            case TcpOptionSpec::Kind::mss: o.mss = static_cast<std::uint16_t>(spec.value); break;
            case TcpOptionSpec::Kind::window_scale: o.window_scale = static_cast<std::uint8_t>(spec.value); break;
            case TcpOptionSpec::Kind::sack_permitted: o.sack_permitted = true; break;
            case TcpOptionSpec::Kind::timestamps:
                // The script's TSecr echoes the engine's TSval on its own clock.
                o.timestamps = wire::Timestamps{spec.value, spec.value2 + base.ts_offset.value_or(0)};
                break;
            case TcpOptionSpec::Kind::sack:
                for (const auto& [l, r] : spec.blocks) o.sack_blocks.push_back({base.absolute(l), base.absolute(r)});
                break;
            case TcpOptionSpec::Kind::nop:
            case TcpOptionSpec::Kind::eol:
            case TcpOptionSpec::Kind::other: break;
            }
        }
    }
    s.payload.assign(line.payload_len, std::byte{0});
    return s;
}

void learn_ts_offset(const PacketLine& expected, const engine::Segment& actual, SeqBase& base) {
    if (base.ts_offset || !expected.options || !actual.tcp.options.timestamps) return;
    for (const auto& o : *expected.options)
        if (o.kind == TcpOptionSpec::Kind::timestamps) base.ts_offset = actual.tcp.options.timestamps->val - o.value;
}

std::string mismatch(const PacketLine& want, const engine::Segment& got, wire::OptionLayout layout,
                     const SeqBase& base, Leniency lenient) {
    std::uint8_t got_flags = got.tcp.flags.bits();
    std::uint8_t want_flags = want.flags;
    if (want.ecn_flags_any) {
        got_flags &= static_cast<std::uint8_t>(~(TcpFlags::ece | TcpFlags::cwr));
        want_flags &= static_cast<std::uint8_t>(~(TcpFlags::ece | TcpFlags::cwr));
    }
    if (got_flags != want_flags) return "flags " + flags_text(got_flags) + " where " + flags_text(want_flags) + " was expected";
    const std::uint32_t seq = base.local(got.tcp.seq);
    if (seq != want.seq_start) return "seq " + std::to_string(seq) + " where " + std::to_string(want.seq_start) + " was expected";
    if (got.payload.size() != want.payload_len)
        return "payload length " + std::to_string(got.payload.size()) + " where " + std::to_string(want.payload_len) +
               " was expected";
    if (want.ack && got.tcp.ack.raw() != *want.ack)
        return "ack " + std::to_string(got.tcp.ack.raw()) + " where " + std::to_string(*want.ack) + " was expected";
    if (want.window && !lenient.window && got.tcp.window != *want.window)
        return "win " + std::to_string(got.tcp.window) + " where " + std::to_string(*want.window) + " was expected";
    if (lenient.options || want.options_any) return {};
    const auto got_options = wire_options(got, layout, base);
    const auto want_options = without_eol(want.options.value_or(std::vector<TcpOptionSpec>{}));
    bool same = got_options.size() == want_options.size();
    for (std::size_t i = 0; same && i < got_options.size(); ++i) same = same_option(want_options[i], got_options[i]);
    if (!same) return "options " + options_text(got_options) + " where " + options_text(want_options) + " were expected";
    return {};
}

std::string to_script_text(const PacketLine& line) {
    std::string s = line.inbound ? "< " : "> ";
    s += flags_text(line.flags);
    s += " " + std::to_string(line.seq_start) + ":" + std::to_string(line.seq_end) + "(" +
         std::to_string(line.payload_len) + ")";
    if (line.ack) s += " ack " + std::to_string(*line.ack);
    if (line.window) s += " win " + std::to_string(*line.window);
    if (line.options_any) s += " <...>";
    else if (line.options) s += " " + options_text(*line.options);
    return s;
}

std::string to_script_text(const engine::Segment& got, wire::OptionLayout layout, const SeqBase& base) {
    std::string s = "> " + flags_text(got.tcp.flags.bits());
    const std::uint32_t seq = base.local(got.tcp.seq);
    const auto len = static_cast<std::uint32_t>(got.payload.size());
    s += " " + std::to_string(seq) + ":" + std::to_string(seq + len) + "(" + std::to_string(len) + ")";
    if (got.tcp.flags.ack_set()) s += " ack " + std::to_string(got.tcp.ack.raw());
    s += " win " + std::to_string(got.tcp.window);
    const auto options = wire_options(got, layout, base);
    if (!options.empty()) s += " " + options_text(options);
    return s;
}

} // namespace teardown::script
