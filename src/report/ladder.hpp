#pragma once
// A ladder (sequence) diagram in the terminal: one column per host, one arrow
// per segment with its flags, sequence numbers and length, lost segments
// marked, and a note beside each row (the packet's role in the close, the
// state changes it caused, an application call or a timer).
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/vocabulary.hpp"

namespace teardown::report {

struct LadderArrow {
    enum class Kind : std::uint8_t { arrow, note } kind{Kind::arrow};
    Instant at;                 // sent, or when the note happened
    Instant arrives{Instant::never()};  // received (the SVG slopes its arrow); never when lost
    int from{0};                // lane; a note's own lane
    int to{1};
    std::string label;          // e.g. "F. seq 1101 ack 7301"
    bool lost{false};           // dropped on the way: the arrow ends in an X
    enum class Tone { plain, closing, reset, data } tone{Tone::plain};
    std::string note;           // written to the right of the row

    // The two-host form: from the client's lane (0) or the server's (1).
    static LadderArrow between(Instant at, Side from, std::string label) {
        LadderArrow a;
        a.at = at;
        a.from = from == Side::client ? 0 : 1;
        a.to = 1 - a.from;
        a.label = std::move(label);
        return a;
    }
};

struct LadderStyle {
    bool colour{false};         // ANSI colours (callers check isatty and NO_COLOR)
    int arrow_width{46};        // columns between two neighbouring lifelines
};

struct Ladder {
    std::vector<std::string> lanes;  // "client 192.0.2.1:40001", "server 192.0.2.2:80"
    std::vector<LadderArrow> arrows;
};

// A state as RFC 9293 spells it in a ladder's notes: "FIN_WAIT_1".
std::string state_name(TcpState s);

// Times are printed in milliseconds relative to the first row.
std::string render_ladder(const Ladder& ladder, const LadderStyle& style = {});

} // namespace teardown::report
