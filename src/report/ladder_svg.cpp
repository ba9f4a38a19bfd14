#include "report/ladder_svg.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

namespace teardown::report {

namespace {

constexpr int k_top = 70;        // first row's y
constexpr int k_row = 30;        // between rows
constexpr int k_left = 90;       // first lifeline's x
constexpr int k_lane = 280;      // between lifelines

std::string escaped(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

const char* colour_of(LadderArrow::Tone tone, bool lost) {
    if (lost) return "#9a9a9a";
    switch (tone) {
    case LadderArrow::Tone::plain: return "#333333";
    case LadderArrow::Tone::closing: return "#b7791f";
    case LadderArrow::Tone::reset: return "#c53030";
    case LadderArrow::Tone::data: return "#2b6cb0";
    }
    return "#333333";
}

const char* tone_name(LadderArrow::Tone tone) {
    switch (tone) {
    case LadderArrow::Tone::plain: return "plain";
    case LadderArrow::Tone::closing: return "closing";
    case LadderArrow::Tone::reset: return "reset";
    case LadderArrow::Tone::data: return "data";
    }
    return "plain";
}

} // namespace

std::string render_ladder_svg(const Ladder& ladder, const std::string& title) {
    const int lanes = std::max<int>(static_cast<int>(ladder.lanes.size()), 1);
    const int rows = static_cast<int>(ladder.arrows.size());
    const int notes_x = k_left + (lanes - 1) * k_lane + 30;
    std::size_t longest = 0;
    for (const auto& a : ladder.arrows) longest = std::max(longest, a.note.size());
    const int width = notes_x + std::max(400, static_cast<int>(longest) * 8 + 20);
    const int height = k_top + (rows + 1) * k_row + 20;
    const auto lane_x = [](int lane) { return k_left + lane * k_lane; };
    const auto row_y = [](int row) { return k_top + row * k_row; };
    // Where a segment arrived: between the last row before its arrival and
    // the first after, in proportion to the times, so that an arrival long
    // before the next row (the end of TIME_WAIT, say) lands near its own.
    const auto arrival_y = [&](int row) {
        const Instant arrives = ladder.arrows[static_cast<std::size_t>(row)].arrives;
        int r = row + 1;
        while (r < rows && ladder.arrows[static_cast<std::size_t>(r)].at < arrives) ++r;
        const int before = r - 1;
        double frac = 1.0;
        if (r < rows) {
            const auto gap = (ladder.arrows[static_cast<std::size_t>(r)].at - ladder.arrows[static_cast<std::size_t>(before)].at).count_nanos();
            const auto in = (arrives - ladder.arrows[static_cast<std::size_t>(before)].at).count_nanos();
            if (gap > 0) frac = std::clamp(static_cast<double>(in) / static_cast<double>(gap), 0.5, 1.0);
        }
        return std::max(row_y(row) + k_row / 2, row_y(before) + static_cast<int>(frac * k_row));
    };
    const Instant origin = rows ? ladder.arrows.front().at : Instant{};
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
        "font-family=\"DejaVu Sans Mono, monospace\" font-size=\"12\">\n",
        width, height, width, height);
    out += "<defs><marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\">"
           "<path d=\"M0,0 L10,4 L0,8 z\" fill=\"context-stroke\"/></marker></defs>\n";
    out += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", width, height);
    out += fmt::format("<text class=\"title\" x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", escaped(title));
    for (int i = 0; i < static_cast<int>(ladder.lanes.size()); ++i) {
        out += fmt::format("<text class=\"lane-name\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
                           lane_x(i), k_top - 25, escaped(ladder.lanes[static_cast<std::size_t>(i)]));
        out += fmt::format("<line class=\"lifeline\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#cccccc\" stroke-width=\"2\"/>\n",
                           lane_x(i), k_top - 15, height - 10);
    }
    for (int r = 0; r < rows; ++r) {
        const LadderArrow& a = ladder.arrows[static_cast<std::size_t>(r)];
        const int y = row_y(r);
        const double ms = static_cast<double>((a.at - origin).count_nanos()) / 1e6;
        out += fmt::format("<g class=\"row\" data-row=\"{}\">\n<text class=\"time\" x=\"10\" y=\"{}\" fill=\"#777777\">{:.1f} ms</text>\n", r, y + 4, ms);
        if (a.kind == LadderArrow::Kind::note) {
            out += fmt::format("<circle class=\"event\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#4a5568\"/>\n", lane_x(a.from), y);
        } else {
            const char* colour = colour_of(a.tone, a.lost);
            const int x1 = lane_x(a.from);
            const int x2 = lane_x(a.to);
            const int y2 = a.lost ? y + k_row / 2 : arrival_y(r);
            if (a.lost) {
                const int xe = x1 + (x2 - x1) * 6 / 10;
                out += fmt::format(
                    "<g class=\"arrow lost {}\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\" "
                    "stroke-dasharray=\"5,3\"/><text x=\"{}\" y=\"{}\" fill=\"{}\" text-anchor=\"middle\" font-size=\"14\">X</text>",
                    tone_name(a.tone), x1, y, xe, y2, colour, xe, y2 + 5, colour);
            } else {
                out += fmt::format(
                    "<g class=\"arrow {}\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\" "
                    "marker-end=\"url(#head)\"/>",
                    tone_name(a.tone), x1, y, x2, y2, colour);
            }
            out += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text></g>\n",
                               (x1 + x2) / 2, y - 4, colour, escaped(a.label));
        }
        if (!a.note.empty())
            out += fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\" fill=\"#2d3748\">{}</text>\n", notes_x, y + 4, escaped(a.note));
        out += "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

std::string render_ladder_html(const Ladder& ladder, const std::string& title, const std::string& summary,
                               const std::string& verdict) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escaped(title) +
                      "</title>\n<style>\n"
                      "body{font-family:DejaVu Sans,sans-serif;margin:16px;color:#1a202c}\n"
                      "#diagram{overflow-x:auto;border:1px solid #e2e8f0}\n"
                      ".row:hover{background:#f7fafc}\n.row:hover text{font-weight:bold}\n"
                      "table{border-collapse:collapse;margin-top:12px;font-size:13px}\n"
                      "td,th{border:1px solid #e2e8f0;padding:2px 6px;text-align:left}\n"
                      "</style>\n</head>\n<body>\n<h1>" + escaped(title) + "</h1>\n";
    if (!summary.empty()) out += "<p class=\"summary\">" + escaped(summary) + "</p>\n";
    if (!verdict.empty()) out += "<p class=\"verdict\"><b>Verdict:</b> " + escaped(verdict) + "</p>\n";
    out += "<div id=\"diagram\">\n" + render_ladder_svg(ladder, title) + "</div>\n";
    out += "<p id=\"counts\">(the page's script has not run)</p>\n<table id=\"rows\"><thead><tr><th>row</th><th>ms</th>"
           "<th>segment</th><th>what happened</th></tr></thead><tbody></tbody></table>\n";
    // The script reads the diagram as the browser drew it, so what it reports
    // is what a reader sees: the arrows, the losses, the state changes.
    out += R"(<script>
(function () {
  const svg = document.querySelector('#diagram svg');
  const arrows = svg.querySelectorAll('g.arrow');
  const lost = svg.querySelectorAll('g.arrow.lost');
  const resets = svg.querySelectorAll('g.arrow.reset');
  let changes = 0;
  const body = document.querySelector('#rows tbody');
  svg.querySelectorAll('g.row').forEach(function (row) {
    const note = row.querySelector('text.note');
    const text = note ? note.textContent : '';
    changes += (text.match(/->/g) || []).length;
    const label = row.querySelector('text.label');
    const tr = document.createElement('tr');
    [row.dataset.row, row.querySelector('text.time').textContent, label ? label.textContent : '', text].forEach(function (v) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  const box = svg.getBBox();
  document.getElementById('counts').textContent =
    arrows.length + ' segments, ' + lost.length + ' lost, ' + resets.length + ' resets, ' + changes +
    ' state changes; drawn ' + Math.round(box.width) + 'x' + Math.round(box.height);
  document.body.dataset.rendered = 'yes';
})();
</script>
</body>
</html>
)";
    return out;
}

Result<void> write_text_file(const std::string& path, const std::string& text) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f{std::fopen(path.c_str(), "w"), &std::fclose};
    if (!f) return Error::io(path + ": cannot create");
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size() || std::fflush(f.get()) != 0)
        return Error::io(path + ": write failed");
    return {};
}

} // namespace teardown::report
