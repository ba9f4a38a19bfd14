#include "report/tcp_option_text.hpp"

#include <fmt/format.h>

namespace teardown::report {

namespace {

std::uint32_t be(std::span<const std::byte> d, std::size_t at, std::size_t n) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(d[at + i]);
    return v;
}

std::string hex(std::span<const std::byte> d) {
    std::string out;
    for (auto b : d) out += fmt::format("{:02x}", std::to_integer<unsigned>(b));
    return out;
}

// Option kinds with a fixed data length (RFC 9293 §3.2, RFC 7323, RFC 2018).
bool length_fits(std::uint8_t kind, std::size_t n) {
    switch (kind) {
    case 0: case 1: case 4: return n == 0;
    case 2: return n == 2;
    case 3: return n == 1;
    case 5: return n > 0 && n % 8 == 0;
    case 8: return n == 8;
    }
    return true;
}

} // namespace

std::string tcp_option_text(std::uint8_t kind, std::span<const std::byte> data) {
    if (!length_fits(kind, data.size())) return fmt::format("opt-{}[bad length {}]", kind, data.size() + 2);
    switch (kind) {
    case 0: return "eol";
    case 1: return "nop";
    case 2: return fmt::format("mss {}", be(data, 0, 2));
    case 3: return fmt::format("wscale {}", be(data, 0, 1));
    case 4: return "sackOK";
    case 5: {
        std::string out = fmt::format("sack {} ", data.size() / 8);
        for (std::size_t i = 0; i < data.size(); i += 8) out += fmt::format("{{{}:{}}}", be(data, i, 4), be(data, i + 4, 4));
        return out;
    }
    case 8: return fmt::format("TS val {} ecr {}", be(data, 0, 4), be(data, 4, 4));
    }
    return data.empty() ? fmt::format("unknown-{}", kind) : fmt::format("unknown-{} 0x{}", kind, hex(data));
}

nlohmann::json tcp_option_json(std::uint8_t kind, std::span<const std::byte> data) {
    if (!length_fits(kind, data.size()))
        return {{"kind", "malformed"}, {"code", kind}, {"data", hex(data)}};
    switch (kind) {
    case 0: return {{"kind", "eol"}};
    case 1: return {{"kind", "nop"}};
    case 2: return {{"kind", "mss"}, {"value", be(data, 0, 2)}};
    case 3: return {{"kind", "wscale"}, {"value", be(data, 0, 1)}};
    case 4: return {{"kind", "sack_permitted"}};
    case 5: {
        auto blocks = nlohmann::json::array();
        for (std::size_t i = 0; i < data.size(); i += 8) blocks.push_back({be(data, i, 4), be(data, i + 4, 4)});
        return {{"kind", "sack"}, {"blocks", blocks}};
    }
    case 8: return {{"kind", "ts"}, {"val", be(data, 0, 4)}, {"ecr", be(data, 4, 4)}};
    }
    return {{"kind", "unknown"}, {"code", kind}, {"data", hex(data)}};
}

} // namespace teardown::report
