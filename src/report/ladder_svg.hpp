#pragma once
// The ladder as a picture: an SVG image (one lifeline per lane, each
// segment an arrow sloping from its sending row down to the row where it
// arrived, so crossing FINs cross; lost ones end in an X), and a
// self-contained HTML page around it whose script reads the drawn diagram
// back (arrows, losses, state changes) into a summary and a row table.
#include <string>

#include "core/result.hpp"
#include "report/ladder.hpp"

namespace teardown::report {

std::string render_ladder_svg(const Ladder& ladder, const std::string& title);
std::string render_ladder_html(const Ladder& ladder, const std::string& title, const std::string& summary,
                               const std::string& verdict);

// Writes `text` to `path`, replacing it; the error names the path.
Result<void> write_text_file(const std::string& path, const std::string& text);

} // namespace teardown::report
