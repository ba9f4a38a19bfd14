#pragma once
// The part of TOML (v1.0) that scenario files use, read with the line of
// every key so that a bad scenario is reported as FILE:LINE and what is
// wrong. Kept: comments, [table] and [[array of tables]] headers (dotted
// names), `key = value` with bare, quoted or dotted keys, basic and literal
// strings, integers (with _), floats, booleans and arrays (over several
// lines, nested). Not kept: inline tables, dates, multi-line strings. Each
// header starts a section; a dotted key stays one key ("client.state").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace teardown::sim {

struct TomlValue {
    enum class Kind : std::uint8_t { string, integer, floating, boolean, array };
    Kind kind{Kind::string};
    std::string text;           // string
    std::int64_t integer{0};
    double floating{0};
    bool boolean{false};
    std::vector<TomlValue> items;  // array
    int line{0};
};

std::string_view kind_name(TomlValue::Kind k);

struct TomlEntry {
    std::string key;
    TomlValue value;
    int line{0};
};

struct TomlSection {
    std::string name;       // "" for the keys before the first header
    bool array_item{false}; // [[name]]
    int line{0};
    std::vector<TomlEntry> entries;
};

struct TomlDocument {
    std::string file;
    std::vector<TomlSection> sections;  // sections[0] is the root
};

Result<TomlDocument> parse_toml(std::string_view text, std::string file);

} // namespace teardown::sim
