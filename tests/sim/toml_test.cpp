#include <gtest/gtest.h>

#include "sim/toml.hpp"

using namespace teardown;
using namespace teardown::sim;

namespace {

TomlDocument parse_ok(std::string_view text) {
    auto d = parse_toml(text, "t.toml");
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    return d.ok() ? std::move(*d) : TomlDocument{};
}

std::string parse_error(std::string_view text) {
    auto d = parse_toml(text, "t.toml");
    EXPECT_FALSE(d.ok());
    return d.ok() ? "" : d.error().message;
}

} // namespace

TEST(Toml, sections_keys_and_values_keep_their_lines) {
    const auto d = parse_ok("name = \"x\" # a comment\n\n[link]\ndelay = '10ms'\nloss = 0.5\n"
                            "[[host]]\nname = \"a\"\napp = [\"one\",\n  \"two\", # why\n]\n[[host]]\nport = 8_080\nup = true\n"
                            "[expect]\nstate.client = \"closed\"\n\"quoted key\" = -3\n");
    ASSERT_EQ(d.sections.size(), 5u);
    EXPECT_EQ(d.sections[0].entries[0].key, "name");
    EXPECT_EQ(d.sections[0].entries[0].value.text, "x");
    EXPECT_EQ(d.sections[1].name, "link");
    EXPECT_EQ(d.sections[1].line, 3);
    EXPECT_EQ(d.sections[1].entries[1].value.kind, TomlValue::Kind::floating);
    EXPECT_DOUBLE_EQ(d.sections[1].entries[1].value.floating, 0.5);
    EXPECT_TRUE(d.sections[2].array_item);
    const auto& app = d.sections[2].entries[1];
    EXPECT_EQ(app.line, 8);
    ASSERT_EQ(app.value.items.size(), 2u);
    EXPECT_EQ(app.value.items[1].text, "two");
    EXPECT_EQ(app.value.items[1].line, 9);
    EXPECT_EQ(d.sections[3].entries[0].value.integer, 8080);
    EXPECT_TRUE(d.sections[3].entries[1].value.boolean);
    EXPECT_EQ(d.sections[4].entries[0].key, "state.client");
    EXPECT_EQ(d.sections[4].entries[1].key, "quoted key");
    EXPECT_EQ(d.sections[4].entries[1].value.integer, -3);
}

TEST(Toml, malformed_text_names_file_and_line) {
    EXPECT_EQ(parse_error("a = 1\nb = \"open\n"), "t.toml:2: unterminated string");
    EXPECT_EQ(parse_error("a = 1\na = 2\n"), "t.toml:2: key 'a' is given twice (first at line 1)");
    EXPECT_EQ(parse_error("[x]\n[x]\n"), "t.toml:2: table [x] is defined twice");
    EXPECT_EQ(parse_error("\n\nk = bare\n"), "t.toml:3: 'bare' is not a value (strings need quotes)");
    EXPECT_EQ(parse_error("k = [1, 2\n"), "t.toml:1: unterminated array");
    EXPECT_EQ(parse_error("k = 1 2\n"), "t.toml:1: unexpected '2' after the value");
    EXPECT_EQ(parse_error("[x\n"), "t.toml:1: expected ']' to end the header");
    EXPECT_EQ(parse_error("k = {a = 1}\n"), "t.toml:1: inline tables are not supported: use a [table] or dotted keys");
    EXPECT_EQ(parse_error("= 1\n"), "t.toml:1: expected a key, found '='");
}
