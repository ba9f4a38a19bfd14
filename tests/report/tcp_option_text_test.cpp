#include <gtest/gtest.h>

#include <vector>

#include "support/bytes.hpp"

#include "report/tcp_option_text.hpp"

using namespace teardown::report;

using teardown::test::bytes;

TEST(TcpOptionText, known_kinds_read_as_tcpdump_prints_them) {
    EXPECT_EQ(tcp_option_text(2, bytes({0x05, 0xb4})), "mss 1460");
    EXPECT_EQ(tcp_option_text(3, bytes({7})), "wscale 7");
    EXPECT_EQ(tcp_option_text(4, {}), "sackOK");
    EXPECT_EQ(tcp_option_text(1, {}), "nop");
    EXPECT_EQ(tcp_option_text(0, {}), "eol");
    EXPECT_EQ(tcp_option_text(8, bytes({0, 0, 0, 1, 0, 0, 1, 0})), "TS val 1 ecr 256");
    EXPECT_EQ(tcp_option_text(5, bytes({0, 0, 0, 100, 0, 0, 0, 200, 0, 0, 1, 0, 0, 0, 2, 0})),
              "sack 2 {100:200}{256:512}");
}

TEST(TcpOptionText, unknown_kinds_keep_their_bytes) {
    EXPECT_EQ(tcp_option_text(30, bytes({0x0a, 0x0b})), "unknown-30 0x0a0b");
    EXPECT_EQ(tcp_option_json(30, bytes({0x0a, 0x0b})).dump(), R"({"code":30,"data":"0a0b","kind":"unknown"})");
}

TEST(TcpOptionText, a_length_that_does_not_fit_the_kind_is_called_out) {
    EXPECT_EQ(tcp_option_text(2, bytes({5})), "opt-2[bad length 3]");
    EXPECT_EQ(tcp_option_json(8, bytes({1, 2})).at("kind"), "malformed");
}

TEST(TcpOptionJson, known_kinds_carry_their_values) {
    EXPECT_EQ(tcp_option_json(2, bytes({0x05, 0xb4})).dump(), R"({"kind":"mss","value":1460})");
    EXPECT_EQ(tcp_option_json(8, bytes({0, 0, 0, 1, 0, 0, 0, 0})).dump(), R"({"ecr":0,"kind":"ts","val":1})");
    EXPECT_EQ(tcp_option_json(5, bytes({0, 0, 0, 1, 0, 0, 0, 9})).dump(), R"({"blocks":[[1,9]],"kind":"sack"})");
}
