#pragma once
// A ladder (sequence) diagram in the terminal: one column per host, one arrow
// per segment with its flags, sequence numbers and length, lost segments
// marked, and a note beside the arrow (the packet's role in the close, or the
// state change it caused).
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/vocabulary.hpp"

namespace teardown::report {

struct LadderArrow {
    Instant at;
    Side from{Side::client};
    std::string label;          // e.g. "F. seq 1101 ack 7301"
    bool lost{false};           // dropped on the way: the arrow ends in an X
    enum class Tone { plain, closing, reset, data } tone{Tone::plain};
    std::string note;           // written to the right of the arrow
};

struct LadderStyle {
    bool colour{false};         // ANSI colours (callers check isatty and NO_COLOR)
    int arrow_width{46};        // columns between the two lifelines
};

struct Ladder {
    std::string left_name;      // "client 192.0.2.1:40001"
    std::string right_name;     // "server 192.0.2.2:80"
    std::vector<LadderArrow> arrows;
};

// Times are printed in milliseconds relative to the first arrow.
std::string render_ladder(const Ladder& ladder, const LadderStyle& style = {});

} // namespace teardown::report
