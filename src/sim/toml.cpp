#include "sim/toml.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace teardown::sim {

std::string_view kind_name(TomlValue::Kind k) {
    switch (k) {
    case TomlValue::Kind::string: return "a string";
    case TomlValue::Kind::integer: return "an integer";
    case TomlValue::Kind::floating: return "a number";
    case TomlValue::Kind::boolean: return "true or false";
    case TomlValue::Kind::array: return "an array";
    }
    return "?";
}

namespace {

bool bare_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Reader {
public:
    Reader(std::string_view text, std::string file) : text_{text} { doc_.file = std::move(file); }

    Result<TomlDocument> run() {
        doc_.sections.push_back({"", false, 1, {}});
        std::set<std::string> tables;
        while (!at_end()) {
            skip_blank();
            if (at_end()) break;
            if (peek() == '[') {
                const int line = line_;
                const bool array = peek(1) == '[';
                advance(array ? 2 : 1);
                skip_spaces();
                auto name = dotted_key();
                if (!name) return name.error();
                skip_spaces();
                if (!take(array ? "]]" : "]")) return error(array ? "expected ']]' to end the header" : "expected ']' to end the header");
                if (auto e = end_of_line()) return *e;
                if (!array && !tables.insert(*name).second) return error_at(line, "table [" + *name + "] is defined twice");
                doc_.sections.push_back({*name, array, line, {}});
                continue;
            }
            const int line = line_;
            auto key = dotted_key();
            if (!key) return key.error();
            skip_spaces();
            if (!take("=")) return error("expected '=' after the key '" + *key + "'");
            skip_spaces();
            auto value = parse_value(0);
            if (!value) return value.error();
            if (auto e = end_of_line()) return *e;
            auto& section = doc_.sections.back();
            for (const auto& e : section.entries)
                if (e.key == *key) return error_at(line, "key '" + *key + "' is given twice (first at line " + std::to_string(e.line) + ")");
            section.entries.push_back({*key, std::move(*value), line});
        }
        return std::move(doc_);
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    void advance(std::size_t n = 1) {
        for (std::size_t i = 0; i < n && !at_end(); ++i) {
            if (text_[pos_] == '\n') ++line_;
            ++pos_;
        }
    }
    bool take(std::string_view s) {
        if (text_.substr(pos_, s.size()) != s) return false;
        advance(s.size());
        return true;
    }
    void skip_spaces() {
        while (peek() == ' ' || peek() == '\t') advance();
    }
    void skip_comment() {
        if (peek() == '#')
            while (!at_end() && peek() != '\n') advance();
    }
    // Spaces, comments and line ends between items.
    void skip_blank() {
        for (;;) {
            skip_spaces();
            skip_comment();
            if (peek() == '\r' && peek(1) == '\n') advance(2);
            else if (peek() == '\n') advance();
            else return;
        }
    }
    Error error(const std::string& what) const { return error_at(line_, what); }
    Error error_at(int line, const std::string& what) const {
        return Error::parse(doc_.file + ":" + std::to_string(line) + ": " + what);
    }
    std::optional<Error> end_of_line() {
        skip_spaces();
        skip_comment();
        if (at_end()) return std::nullopt;
        if (peek() == '\r' && peek(1) == '\n') {
            advance(2);
            return std::nullopt;
        }
        if (peek() == '\n') {
            advance();
            return std::nullopt;
        }
        return error(std::string{"unexpected '"} + peek() + "' after the value");
    }

    Result<std::string> key_part() {
        if (peek() == '"' || peek() == '\'') return quoted();
        std::string k;
        while (bare_key_char(peek())) {
            k += peek();
            advance();
        }
        if (k.empty()) return error(at_end() ? "expected a key, found the end of the file" : std::string{"expected a key, found '"} + peek() + "'");
        return k;
    }
    Result<std::string> dotted_key() {
        auto first = key_part();
        if (!first) return first;
        std::string key = *first;
        for (;;) {
            skip_spaces();
            if (peek() != '.') return key;
            advance();
            skip_spaces();
            auto next = key_part();
            if (!next) return next;
            key += "." + *next;
        }
    }

    Result<std::string> quoted() {
        const char q = peek();
        const int line = line_;
        advance();
        std::string s;
        for (;;) {
            if (at_end() || peek() == '\n') return error_at(line, "unterminated string");
            const char c = peek();
            advance();
            if (c == q) return s;
            if (c == '\\' && q == '"') {
                const char e = peek();
                advance();
                switch (e) {
                case '"': s += '"'; break;
                case '\\': s += '\\'; break;
                case 'n': s += '\n'; break;
                case 't': s += '\t'; break;
                case 'r': s += '\r'; break;
                default: return error(std::string{"unknown escape '\\"} + e + "' in a string");
                }
                continue;
            }
            s += c;
        }
    }

    Result<TomlValue> parse_value(int depth) {
        TomlValue v;
        v.line = line_;
        const char c = peek();
        if (c == '"' || c == '\'') {
            auto s = quoted();
            if (!s) return s.error();
            v.kind = TomlValue::Kind::string;
            v.text = std::move(*s);
            return v;
        }
        if (c == '[') {
            if (depth > 16) return error("arrays nested too deep");
            advance();
            v.kind = TomlValue::Kind::array;
            for (;;) {
                skip_blank();
                if (peek() == ']') {
                    advance();
                    return v;
                }
                if (at_end()) return error_at(v.line, "unterminated array");
                auto item = parse_value(depth + 1);
                if (!item) return item;
                v.items.push_back(std::move(*item));
                skip_blank();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                if (peek() == ']') {
                    advance();
                    return v;
                }
                if (at_end()) return error_at(v.line, "unterminated array");
                return error(std::string{"expected ',' or ']' in the array, found '"} + peek() + "'");
            }
        }
        if (c == '{') return error("inline tables are not supported: use a [table] or dotted keys");
        std::string word;
        while (!at_end() && (bare_key_char(peek()) || peek() == '.' || peek() == '+')) {
            word += peek();
            advance();
        }
        if (word.empty()) return error(at_end() ? std::string{"expected a value"} : std::string{"expected a value, found '"} + c + "'");
        if (word == "true" || word == "false") {
            v.kind = TomlValue::Kind::boolean;
            v.boolean = word == "true";
            return v;
        }
        std::string digits;
        for (char d : word)
            if (d != '_') digits += d;
        const bool floating = digits.find_first_of(".eE") != std::string::npos && digits.find("0x") == std::string::npos;
        const char* b = digits.data() + (digits[0] == '+' ? 1 : 0);
        const char* e = digits.data() + digits.size();
        if (floating) {
            double d = 0;
            auto [end, ec] = std::from_chars(b, e, d);
            if (ec == std::errc{} && end == e && std::isfinite(d)) {
                v.kind = TomlValue::Kind::floating;
                v.floating = d;
                return v;
            }
        } else {
            std::int64_t i = 0;
            auto [end, ec] = std::from_chars(b, e, i);
            if (ec == std::errc{} && end == e) {
                v.kind = TomlValue::Kind::integer;
                v.integer = i;
                return v;
            }
        }
        return error_at(v.line, "'" + word + "' is not a value (strings need quotes)");
    }

    std::string_view text_;
    std::size_t pos_{0};
    int line_{1};
    TomlDocument doc_;
};

} // namespace

Result<TomlDocument> parse_toml(std::string_view text, std::string file) { return Reader{text, std::move(file)}.run(); }

} // namespace teardown::sim
