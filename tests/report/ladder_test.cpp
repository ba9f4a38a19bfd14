#include <gtest/gtest.h>

#include "report/ladder.hpp"

using namespace teardown;
using namespace teardown::report;

namespace {
LadderArrow arrow(std::int64_t ms, Side from, std::string label, bool lost = false, std::string note = "") {
    LadderArrow a;
    a.at = Instant::from_millis(ms);
    a.from = from;
    a.label = std::move(label);
    a.lost = lost;
    a.note = std::move(note);
    return a;
}
} // namespace

TEST(Ladder, arrows_point_from_sender_to_receiver_with_notes_beside_them) {
    Ladder l{"client", "server", {
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
    Ladder l{"a", "b", {arrow(0, Side::client, ". ack 1", true), arrow(5, Side::server, "F.", true)}};
    LadderStyle style;
    style.arrow_width = 30;
    const std::string text = render_ladder(l, style);
    EXPECT_NE(text.find("|-- . ack 1 -------------X     |  lost"), std::string::npos) << text;
    EXPECT_NE(text.find("|     X------------------ F. --|  lost"), std::string::npos) << text;
}

TEST(Ladder, colour_wraps_only_the_arrow) {
    LadderArrow rst = arrow(0, Side::server, "R");
    rst.tone = LadderArrow::Tone::reset;
    Ladder l{"a", "b", {rst}};
    LadderStyle style;
    style.colour = true;
    const std::string text = render_ladder(l, style);
    EXPECT_NE(text.find("\x1b[31m|<"), std::string::npos);
    EXPECT_NE(text.find("-|\x1b[0m"), std::string::npos);
}
