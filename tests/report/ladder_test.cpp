#include <gtest/gtest.h>

#include "report/ladder.hpp"

using namespace teardown;
using namespace teardown::report;

namespace {
LadderArrow arrow(std::int64_t ms, Side from, std::string label, bool lost = false, std::string note = "") {
    LadderArrow a = LadderArrow::between(Instant::from_millis(ms), from, std::move(label));
    a.lost = lost;
    a.note = std::move(note);
    return a;
}
} // namespace

TEST(Ladder, arrows_point_from_sender_to_receiver_with_notes_beside_them) {
    Ladder l{{"client", "server"}, {
        arrow(1000, Side::client, "F. seq 101", false, "FIN from client: starts close"),
        arrow(1001, Side::server, ". ack 102"),
    }};
    LadderStyle style;
    style.arrow_width = 30;
    const std::string text = render_ladder(l, style);
    EXPECT_EQ(text,
              "        client                         server\n"
              "    0.0 |-- F. seq 101 --------------->|  FIN from client: starts close\n"
              "    1.0 |<---------------- . ack 102 --|\n");
}

TEST(Ladder, a_lost_segment_ends_in_an_x_short_of_the_peer) {
    Ladder l{{"a", "b"}, {arrow(0, Side::client, ". ack 1", true), arrow(5, Side::server, "F.", true)}};
    LadderStyle style;
    style.arrow_width = 30;
    const std::string text = render_ladder(l, style);
    EXPECT_NE(text.find("|-- . ack 1 -------------X     |  lost"), std::string::npos) << text;
    EXPECT_NE(text.find("|     X------------------ F. --|  lost"), std::string::npos) << text;
}

TEST(Ladder, colour_wraps_only_the_arrow) {
    LadderArrow rst = arrow(0, Side::server, "R");
    rst.tone = LadderArrow::Tone::reset;
    Ladder l{{"a", "b"}, {rst}};
    LadderStyle style;
    style.colour = true;
    const std::string text = render_ladder(l, style);
    EXPECT_NE(text.find("\x1b[31m|<"), std::string::npos);
    EXPECT_NE(text.find("-|\x1b[0m"), std::string::npos);
}

TEST(Ladder, three_lanes_an_arrow_spans_the_lane_between_and_notes_mark_their_lane) {
    LadderArrow far;
    far.at = Instant::from_millis(0);
    far.from = 0;
    far.to = 2;
    far.label = "S";
    LadderArrow back;
    back.at = Instant::from_millis(1);
    back.from = 1;
    back.to = 0;
    back.label = "R.";
    LadderArrow note;
    note.kind = LadderArrow::Kind::note;
    note.at = Instant::from_millis(2);
    note.from = 1;
    note.note = "b: ESTABLISHED -> CLOSED";
    Ladder l{{"a", "b", "c"}, {far, back, note}};
    LadderStyle style;
    style.arrow_width = 10;
    EXPECT_EQ(render_ladder(l, style),
              "        a          b          c\n"
              "    0.0 |-- S --------------->|\n"
              "    1.0 |<--- R. --|          |\n"
              "    2.0 |          *          |  b: ESTABLISHED -> CLOSED\n");
}
