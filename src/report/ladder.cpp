#include "report/ladder.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace teardown::report {

namespace {

constexpr const char* k_reset_colour = "\x1b[0m";

const char* colour_of(LadderArrow::Tone tone, bool lost) {
    if (lost) return "\x1b[2m";  // dim
    switch (tone) {
    case LadderArrow::Tone::plain: return "";
    case LadderArrow::Tone::closing: return "\x1b[33m";  // yellow: FIN and the ACKs of FINs
    case LadderArrow::Tone::reset: return "\x1b[31m";    // red: RST
    case LadderArrow::Tone::data: return "\x1b[36m";     // cyan
    }
    return "";
}

// The body between two lifelines `width` columns apart: "---- label ---->"
// rightwards or "<--- label -----" leftwards, an X short of the end when lost.
std::string arrow_body(const LadderArrow& a, int width, bool rightwards) {
    std::string label = " " + a.label + " ";
    const int room = width - 4;  // arrow head, tail and a dash each side at least
    if (static_cast<int>(label.size()) > room) label = label.substr(0, static_cast<std::size_t>(std::max(room - 1, 0))) + "~";
    const int dashes = width - static_cast<int>(label.size()) - 1;
    const int before = rightwards ? 2 : dashes - 2;
    const int after = dashes - before;
    std::string body;
    if (rightwards) {
        body = std::string(static_cast<std::size_t>(before), '-') + label + std::string(static_cast<std::size_t>(after), '-') + ">";
        if (a.lost) body = body.substr(0, body.size() - 6) + "X     ";
    } else {
        body = "<" + std::string(static_cast<std::size_t>(before), '-') + label + std::string(static_cast<std::size_t>(after), '-');
        if (a.lost) body = "     X" + body.substr(6);
    }
    return body;
}

} // namespace

std::string state_name(TcpState s) {
    std::string out{to_string(s)};
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string render_ladder(const Ladder& ladder, const LadderStyle& style) {
    std::string out;
    const int width = style.arrow_width;
    // The time column is as wide as its widest entry, 7 at least.
    const Instant first = ladder.arrows.empty() ? Instant{} : ladder.arrows.front().at;
    std::size_t time_width = 7;
    for (const auto& a : ladder.arrows)
        time_width = std::max(time_width, fmt::format("{:.1f}", static_cast<double>((a.at - first).count_nanos()) / 1e6).size());
    const std::string time_head(time_width + 1, ' ');
    const int lanes = static_cast<int>(ladder.lanes.size());
    const auto column = [&](int lane) { return time_head.size() + static_cast<std::size_t>(lane * (width + 1)); };
    // Names over their lifelines.
    std::string header = time_head;
    for (int i = 0; i < lanes; ++i) {
        if (header.size() + 2 > column(i) && i > 0) header += "  ";
        else header.append(column(i) - header.size(), ' ');
        header += ladder.lanes[static_cast<std::size_t>(i)];
    }
    out += header + "\n";
    if (ladder.arrows.empty()) return out;

    const Instant origin = ladder.arrows.front().at;
    for (const auto& a : ladder.arrows) {
        const double ms = static_cast<double>((a.at - origin).count_nanos()) / 1e6;
        std::string line = fmt::format("{:{}.1f} ", ms, time_width);
        const bool is_note = a.kind == LadderArrow::Kind::note;
        const int lo = is_note ? a.from : std::min(a.from, a.to);
        const int hi = is_note ? a.from : std::max(a.from, a.to);
        for (int i = 0; i < lanes; ++i) {
            if (i > 0 && !(i > lo && i <= hi)) line += std::string(static_cast<std::size_t>(width), ' ');
            if (is_note || i < lo || i > hi) {
                line += is_note && i == a.from ? "*" : "|";
                continue;
            }
            if (i == lo) {
                const int span = (hi - lo) * (width + 1) - 1;
                const char* c = style.colour ? colour_of(a.tone, a.lost) : "";
                const std::string arrow = "|" + arrow_body(a, span, a.to > a.from) + "|";
                line += *c ? std::string(c) + arrow + k_reset_colour : arrow;
            }
        }
        if (a.lost) line += "  lost";
        if (!a.note.empty()) line += "  " + a.note;
        out += line + "\n";
    }
    return out;
}

} // namespace teardown::report
