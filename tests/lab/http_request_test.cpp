// The HTTP/1.1 responder's reading of a request head (RFC 9112).
#include <gtest/gtest.h>

#include "lab/services.hpp"

namespace teardown::lab {
namespace {

HttpRequest parsed(std::string_view text) {
    auto r = parse_http_request(text);
    EXPECT_TRUE(r.has_value()) << "incomplete";
    EXPECT_TRUE(r && *r) << (r && !*r ? r->error().message : "");
    return r && *r ? r->value() : HttpRequest{};
}

TEST(HttpRequest, Http11KeepsTheConnectionUnlessItSaysClose) {
    EXPECT_TRUE(parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
    EXPECT_FALSE(parsed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
    EXPECT_FALSE(parsed("GET / HTTP/1.1\r\nconnection:   Upgrade, CLOSE \r\n\r\n").keep_alive) << "a token list, any case";
}

TEST(HttpRequest, Http10ClosesUnlessItSaysKeepAlive) {
    EXPECT_FALSE(parsed("GET / HTTP/1.0\r\n\r\n").keep_alive);
    EXPECT_TRUE(parsed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(HttpRequest, AHeadIsIncompleteUntilTheBlankLine) {
    EXPECT_FALSE(parse_http_request("GET / HTTP/1.1\r\nHost: a\r\n").has_value());
}

TEST(HttpRequest, TheBodyLengthAndTheHeadLengthAreKnown) {
    const auto r = parsed("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET");
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/x");
    EXPECT_EQ(r.content_length, 5u);
    EXPECT_EQ(r.head_length, 39u);  // up to and with the blank line
}

TEST(HttpRequest, WhatIsNotHttpIsRefusedWithItsReason) {
    const auto garbage = parse_http_request("HELLO\r\n\r\n");
    ASSERT_TRUE(garbage.has_value());
    ASSERT_FALSE(*garbage);
    EXPECT_EQ(garbage->error().message, "HTTP request line 'HELLO'");
    const auto version = parse_http_request("GET / HTTP/2.0\r\n\r\n");
    ASSERT_FALSE(*version);
    EXPECT_EQ(version->error().message, "HTTP version 'HTTP/2.0'");
    const auto length = parse_http_request("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
    ASSERT_FALSE(*length);
    EXPECT_EQ(length->error().message, "HTTP Content-Length '-1'");
    const std::string huge(20000, 'a');
    const auto big = parse_http_request(huge);
    ASSERT_TRUE(big.has_value());
    EXPECT_FALSE(*big) << "a head over 16 KiB";
}

} // namespace
} // namespace teardown::lab
