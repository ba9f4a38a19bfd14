#include "report/ladder.hpp"

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

// "|---- label ---->|" or "|<--- label -----|", exactly width+2 columns wide.
std::string arrow_text(const LadderArrow& a, int width) {
    std::string label = " " + a.label + " ";
    const int room = width - 4;  // arrow head, tail and a dash each side at least
    if (static_cast<int>(label.size()) > room) label = label.substr(0, static_cast<std::size_t>(room - 1)) + "~";
    const int dashes = width - static_cast<int>(label.size()) - 1;
    const int before = a.from == Side::client ? 2 : dashes - 2;
    const int after = dashes - before;
    std::string body;
    if (a.from == Side::client) {
        body = std::string(static_cast<std::size_t>(before), '-') + label + std::string(static_cast<std::size_t>(after), '-') + ">";
        if (a.lost) body = body.substr(0, body.size() - 6) + "X     ";
    } else {
        body = "<" + std::string(static_cast<std::size_t>(before), '-') + label + std::string(static_cast<std::size_t>(after), '-');
        if (a.lost) body = "     X" + body.substr(6);
    }
    return "|" + body + "|";
}

} // namespace

std::string render_ladder(const Ladder& ladder, const LadderStyle& style) {
    std::string out;
    const int width = style.arrow_width;
    const std::string time_head = "     ms ";
    // Names over their lifelines.
    std::string header = std::string(time_head.size(), ' ') + ladder.left_name;
    const std::size_t right_col = time_head.size() + static_cast<std::size_t>(width) + 1;
    if (header.size() + 2 > right_col) header += "  ";
    else header.append(right_col - header.size(), ' ');
    header += ladder.right_name;
    out += header + "\n";
    if (ladder.arrows.empty()) return out;

    const Instant origin = ladder.arrows.front().at;
    for (const auto& a : ladder.arrows) {
        const double ms = static_cast<double>((a.at - origin).count_nanos()) / 1e6;
        std::string line = fmt::format("{:7.1f} ", ms);
        const char* c = style.colour ? colour_of(a.tone, a.lost) : "";
        const std::string arrow = arrow_text(a, width);
        if (*c) line += std::string(c) + arrow + k_reset_colour;
        else line += arrow;
        if (a.lost) line += "  lost";
        if (!a.note.empty()) line += "  " + a.note;
        out += line + "\n";
    }
    return out;
}

} // namespace teardown::report
