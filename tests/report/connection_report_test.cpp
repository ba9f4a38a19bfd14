// Records as lines: the fast number and time writers, and a line formatted
// before its number is known (the shards of --threads) that, numbered, is
// the line formatted with the number, in every format.
#include <gtest/gtest.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "report/connection_report.hpp"
#include "core/text_append.hpp"

using namespace teardown;
using namespace teardown::report;

namespace {

analyze::ConnectionRecord a_record(std::uint64_t id, bool v6) {
    analyze::ConnectionRecord r;
    r.id = id;
    r.client = {*wire::IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1"), 40000};
    r.server = {*wire::IpAddress::parse(v6 ? "2001:db8::2" : "192.0.2.2"), 80};
    r.start = Instant::from_nanos(1'767'225'600'000'020'499);
    r.end = r.start + Duration::millis(250);
    r.from_client.packets = 5;
    r.from_client.bytes = 100;
    r.from_server.packets = 4;
    r.ending = Ending::graceful;
    r.closer = Closer::client;
    r.pattern = Pattern::four_way;
    r.anomalies.add(Anomaly::fin_retransmitted);
    r.anomalies.add(Anomaly::final_ack_lost);
    r.first_fin = r.start + Duration::millis(200);
    r.close_duration = Duration::micros(1500);
    r.zeek_conn_state = "SF";
    r.zeek_history = "ShADadFf";
    return r;
}

std::string text(auto&& append) {
    std::string s;
    append(s);
    return s;
}

} // namespace

// Every length a field can have, each copied the way its size picks.
TEST(TextAppend, a_cursor_puts_text_of_every_length_whole) {
    const std::string source = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (std::size_t n = 0; n <= source.size(); ++n) {
        std::string room(source.size() + 2, '.');
        TextCursor c{room.data() + 1};
        c.put(std::string_view{source}.substr(0, n));
        EXPECT_EQ(static_cast<std::size_t>(c.at() - room.data()), n + 1);
        EXPECT_EQ(room.substr(1, n), source.substr(0, n)) << n;
        EXPECT_EQ(room[0], '.');
        EXPECT_EQ(room[n + 1], '.') << n;  // nothing written past it
    }
}

TEST(TextAppend, writes_numbers_and_times_as_fmt_would) {
    EXPECT_EQ(text([](std::string& s) { append_uint(s, 0); }), "0");
    for (const std::uint64_t n : {7ull, 10ull, 99ull, 100ull, 101ull, 12345ull, 1'000'000ull})
        EXPECT_EQ(text([&](std::string& s) { append_uint(s, n); }), std::to_string(n));
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{12'345'678'901'234}); }), "12345.678901");
    EXPECT_EQ(text([](std::string& s) { append_uint(s, 18'446'744'073'709'551'615ull); }), "18446744073709551615");
    // Rounded to the microsecond, half away from zero.
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{1'767'225'600'000'020'499}); }), "1767225600.000020");
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{1'500}); }), "0.000002");
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{-1'500}); }), "-0.000002");
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{-400}); }), "0.000000");
    EXPECT_EQ(text([](std::string& s) { append_seconds6(s, std::int64_t{999'999'500}); }), "1.000000");
    const wire::Endpoint v4{*wire::IpAddress::parse("198.18.255.7"), 65535};
    const wire::Endpoint v6{*wire::IpAddress::parse("2001:db8::a:1"), 443};
    EXPECT_EQ(text([&](std::string& s) { v4.append_to(s); }), "198.18.255.7:65535");
    EXPECT_EQ(text([&](std::string& s) { v6.append_to(s); }), "[2001:db8::a:1]:443");
}

// A line is written at the end of what the string holds, whether its room
// fits the thread's scratch (most) or not (a history of thousands of
// letters, which a connection of retransmissions can spill to).
TEST(TextAppend, lines_go_after_what_is_there_through_scratch_or_room_made_in_place) {
    auto r = a_record(7, false);
    for (const std::size_t letters : {std::size_t{8}, std::size_t{5000}}) {
        SCOPED_TRACE(letters);
        r.zeek_history = std::string(letters, 'T');
        for (const auto f : {RecordFormat::table, RecordFormat::csv, RecordFormat::json, RecordFormat::zeek}) {
            const std::string alone = record_line(f, r);
            EXPECT_NE(alone.find(r.zeek_history), std::string::npos);
            std::string after = "before\n";
            append_record(after, f, r);
            append_record(after, f, r);
            EXPECT_EQ(after, "before\n" + alone + alone);
        }
    }
    EXPECT_EQ(record_line(RecordFormat::csv, r).substr(0, 2), "7,");
}

// The table's rows line up under its header: each field left- or
// right-aligned in its column's width, a longer one running on.
TEST(TableRow, lines_up_under_the_header_and_runs_on_where_a_field_is_longer) {
    const std::string header = records_header(RecordFormat::table, Instant{});
    EXPECT_EQ(header,
              "   id client                   server                   ending               closer  pattern      state  "
              "history           pkts c/s   close s  anomalies");
    EXPECT_EQ(record_line(RecordFormat::table, a_record(7, false)),
              "    7 192.0.2.1:40000          192.0.2.2:80             graceful             client  four_way     SF     "
              "ShADadFf               5/4     0.002  fin_retransmitted,final_ack_lost");
    auto r = a_record(1234567, true);
    r.client_inferred = true;
    r.pattern.reset();
    r.anomalies = {};
    r.close_duration.reset();
    r.zeek_history = "ShADadttttFfRr";
    r.from_client.packets = 123456789012;
    r.from_server.packets = 3;
    EXPECT_EQ(record_line(RecordFormat::table, r),
              "1234567 [2001:db8::1]:40000?     [2001:db8::2]:80         graceful             client  -            SF     "
              "ShADadttttFfRr 123456789012/3         -  -");
}

// The close time is rounded to three decimals as printf's "%.3f" rounds
// the double of its seconds: half a millisecond exactly goes by the
// double's side of the half, which the nanoseconds cannot tell.
TEST(TableRow, rounds_the_close_time_as_printf_rounds_its_seconds) {
    for (const std::int64_t ns : {0ll, 1ll, 499'999ll, 500'000ll, 500'001ll, 1'500'000ll, 2'500'000ll, 62'500'000ll, 999'999'999ll,
                                  12'345'600'000ll, 2'000'499'999ll, 123'456'789'123'456ll, 999'999'999'500'000ll,
                                  1'000'000'000'000'000ll, 4'000'000'000'000'000'123ll, -1'500'000ll}) {
        SCOPED_TRACE(ns);
        auto r = a_record(1, false);
        r.anomalies = {};
        r.close_duration = Duration::nanos(ns);
        const std::string row = record_line(RecordFormat::table, r);
        char expected[64];
        std::snprintf(expected, sizeof expected, "%9.3f  -", static_cast<double>(ns) / 1e9);
        EXPECT_EQ(row.substr(row.rfind("/4 ") + 3), expected);
    }
}

// A JSON line is what nlohmann::json writes of the object it reads from it
// (sorted keys, no spaces, its number layout), and holds the record's values.
TEST(JsonLine, is_the_canonical_text_of_the_record_as_an_object) {
    for (const bool v6 : {false, true}) {
        for (const bool bare : {false, true}) {
            SCOPED_TRACE(v6 * 10 + bare);
            auto r = a_record(42, v6);
            if (bare) {
                r.pattern.reset();
                r.anomalies = {};
                r.first_fin.reset();
                r.close_duration.reset();
                r.client_inferred = true;
                r.end = r.start;
            } else {
                r.reset_by = Side::server;
                r.reset_phase = ResetPhase::established;
                r.half_close_duration = Duration::nanos(1);
                r.last_ack = r.end;
                r.from_server.bytes = 12345678901234;
            }
            const std::string line = record_line(RecordFormat::json, r);
            const auto j = nlohmann::json::parse(line);
            EXPECT_EQ(j.dump(), line);
            EXPECT_EQ(j["id"], 42);
            EXPECT_EQ(j["uid"], std::string(r.uid().data(), r.uid().size()));
            EXPECT_EQ(j["client"], r.client.to_string());
            EXPECT_EQ(j["server"], r.server.to_string());
            EXPECT_EQ(j["client_inferred"], bare);
            EXPECT_EQ(j["start"].get<double>(), r.start.seconds());
            EXPECT_EQ(j["duration"].get<double>(), (r.end - r.start).count_seconds());
            EXPECT_EQ(j["from_client"]["packets"], 5);
            EXPECT_EQ(j["history"], "ShADadFf");
            if (bare) {
                EXPECT_TRUE(j["pattern"].is_null());
                EXPECT_TRUE(j["close_duration"].is_null());
                EXPECT_EQ(j["anomalies"], nlohmann::json::array());
            } else {
                EXPECT_EQ(j["pattern"], "four_way");
                EXPECT_EQ(j["reset_by"], "server");
                EXPECT_EQ(j["close_duration"].get<double>(), 0.0015);
                EXPECT_EQ(j["half_close_duration"].get<double>(), 1e-9);
                EXPECT_EQ(j["anomalies"], (nlohmann::json{"fin_retransmitted", "final_ack_lost"}));
                EXPECT_EQ(j["from_server"]["bytes"], 12345678901234);
            }
        }
    }
}

TEST(PendingLine, numbered_is_the_line_formatted_with_the_number) {
    for (const auto format : {RecordFormat::table, RecordFormat::json, RecordFormat::csv, RecordFormat::zeek}) {
        for (const bool v6 : {false, true}) {
            for (const std::uint64_t id : {1ull, 42ull, 123456ull}) {
                SCOPED_TRACE(static_cast<int>(format) * 1000 + v6 * 100 + static_cast<int>(id % 100));
                auto r = a_record(777, v6);
                std::string block = "the lines before it";
                const PendingLine pending = append_pending(block, format, r);
                EXPECT_EQ(pending.order, 777u);
                EXPECT_EQ(r.id, 777u);  // lent, and put back
                const std::string_view text = std::string_view{block}.substr(19);
                r.id = id;
                std::string numbered;
                append_numbered(numbered, format, text, pending, id);
                EXPECT_EQ(numbered, record_line(format, r));
            }
        }
    }
}

TEST(Summary, merged_is_the_summary_of_all) {
    Summary whole, a, b;
    for (std::uint64_t i = 1; i <= 6; ++i) {
        auto r = a_record(i, false);
        if (i % 3 == 0) {
            r.ending = Ending::reset;
            r.reset_by = Side::server;
            r.close_duration.reset();
        }
        whole.add(r);
        (i % 2 ? a : b).add(r);
    }
    a.merge(b);
    EXPECT_EQ(a.connections(), 6u);
    EXPECT_EQ(a.text(), whole.text());
    EXPECT_EQ(a.json(), whole.json());
}
