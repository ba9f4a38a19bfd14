// A recursive-descent parser for packetdrill-syntax scripts. One character
// cursor with line and column; whitespace and comments between tokens are
// skipped; every error says FILE:LINE:COLUMN and what was expected.
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "script/script.hpp"

namespace teardown::script {

namespace {

class Parser {
public:
    Parser(std::string_view text, std::string file) : text_{text}, file_{std::move(file)} {}

    Result<Script> run() {
        Script s;
        s.file = file_;
        for (;;) {
            if (auto e = skip_space(true)) return *e;
            if (at_end()) return s;
            if (peek() == '-' && peek(1) == '-') {
                if (auto e = header_flag(s)) return *e;
                continue;
            }
            const Where where = here();
            auto time = parse_time();
            if (!time) return time.error();
            if (auto e = skip_space(false)) return *e;
            const char c = peek();
            if (c == '<' || c == '>') {
                auto p = packet(where, *time);
                if (!p) return p.error();
                s.lines.emplace_back(std::move(*p));
            } else if (c == '`') {
                auto sh = shell(where, *time);
                if (!sh) return sh.error();
                s.lines.emplace_back(std::move(*sh));
            } else if (c == '%' && peek(1) == '{') {
                auto cb = code(where, *time);
                if (!cb) return cb.error();
                s.lines.emplace_back(std::move(*cb));
            } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                auto call = syscall(where, *time);
                if (!call) return call.error();
                s.lines.emplace_back(std::move(*call));
            } else {
                return expected("'<', '>', a system call, a `shell command` or %{ code }%");
            }
        }
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    Where here() const { return {line_, column_}; }
    void advance(std::size_t n = 1) {
        for (std::size_t i = 0; i < n && !at_end(); ++i) {
            if (text_[pos_] == '\n') {
                ++line_;
                column_ = 1;
            } else {
                ++column_;
            }
            ++pos_;
        }
    }
    bool take(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        advance(word.size());
        return true;
    }

    std::string found() const {
        if (at_end()) return "the end of the file";
        if (peek() == '\n') return "the end of the line";
        std::size_t n = 0;
        while (pos_ + n < text_.size() && n < 12 && !std::isspace(static_cast<unsigned char>(text_[pos_ + n]))) ++n;
        return "'" + std::string{text_.substr(pos_, n)} + "'";
    }
    Error error_at(Where w, const std::string& message) const {
        return Error::parse(file_ + ":" + std::to_string(w.line) + ":" + std::to_string(w.column) + ": " + message);
    }
    Error expected(const std::string& what) const { return error_at(here(), "expected " + what + " but found " + found()); }

    // Skips blanks and comments; across newlines only when `lines` is set.
    std::optional<Error> skip_space(bool lines) {
        for (;;) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || (lines && c == '\n')) {
                advance();
            } else if (c == '/' && peek(1) == '/') {
                while (!at_end() && peek() != '\n') advance();
            } else if (c == '/' && peek(1) == '*') {
                const Where start = here();
                advance(2);
                while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
                if (at_end()) return error_at(start, "unterminated /* comment");
                advance(2);
            } else {
                return std::nullopt;
            }
        }
    }

    std::optional<Error> end_of_line() {
        if (auto e = skip_space(false)) return e;
        if (at_end() || peek() == '\n') return std::nullopt;
        if (peek() == ';') {
            advance();
            return std::nullopt;
        }
        return expected("the end of the line");
    }

    std::string word() {
        std::string w;
        while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_') {
            w += peek();
            advance();
        }
        return w;
    }

    Result<std::uint64_t> number(const char* what) {
        if (!std::isdigit(static_cast<unsigned char>(peek()))) return expected(what);
        std::uint64_t v = 0;
        int base = 10;
        if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
            base = 16;
            advance(2);
        }
        bool any = false;
        while (std::isxdigit(static_cast<unsigned char>(peek())) && (base == 16 || std::isdigit(static_cast<unsigned char>(peek())))) {
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
            v = v * static_cast<unsigned>(base) + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
            if (v > 0xFFFFFFFFFFFFull) return error_at(here(), std::string{what} + " is too large");
            advance();
            any = true;
        }
        if (!any) return expected(what);
        return v;
    }

    Result<std::uint32_t> u32(const char* what) {
        const Where w = here();
        auto n = number(what);
        if (!n) return n.error();
        if (*n > 0xFFFFFFFFull) return error_at(w, std::string{what} + " does not fit in 32 bits");
        return static_cast<std::uint32_t>(*n);
    }

    // Seconds with an optional fraction ("0", "1.5", ".100"), in microseconds.
    Result<std::int64_t> seconds() {
        std::int64_t whole = 0;
        bool digits = false;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            whole = whole * 10 + (peek() - '0');
            if (whole > 1'000'000'000) return error_at(here(), "time is too large");
            advance();
            digits = true;
        }
        std::int64_t frac = 0;
        int places = 0;
        if (peek() == '.' && peek(1) != '.') {
            advance();
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                if (places < 6) {
                    frac = frac * 10 + (peek() - '0');
                    ++places;
                }
                advance();
                digits = true;
            }
        }
        if (!digits) return expected("a time in seconds");
        while (places++ < 6) frac *= 10;
        return whole * 1'000'000 + frac;
    }

    Result<Time> parse_time() {
        Time t;
        if (take("*")) {
            t.kind = Time::Kind::any;
            return t;
        }
        if (take("+")) t.kind = Time::Kind::relative;
        auto s = seconds();
        if (!s) return s.error();
        t.usecs = *s;
        if (take("~")) {
            take("+");
            const Where w = here();
            auto end = seconds();
            if (!end) return end.error();
            if (*end < t.usecs) return error_at(w, "a time range must not end before it starts");
            t.range_end = *end;
        } else if (take("...")) {
            take("+");
            const Where w = here();
            auto end = seconds();
            if (!end) return end.error();
            if (*end < t.usecs) return error_at(w, "a blocking call must not end before it starts");
            t.blocking_end = *end;
        }
        return t;
    }

    std::optional<Error> header_flag(Script& s) {
        const Where w = here();
        advance(2);
        std::string name = word();
        std::string value;
        if (take("=")) {
            while (!at_end() && !std::isspace(static_cast<unsigned char>(peek()))) {
                value += peek();
                advance();
            }
        }
        if (name == "ip_version") {
            if (value != "ipv4" && value != "ipv6" && value != "ipv4-mapped-ipv6")
                return error_at(w, "--ip_version must be ipv4, ipv6 or ipv4-mapped-ipv6, not '" + value + "'");
            s.ip_version = value;
        } else if (name == "tolerance_usecs") {
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.tolerance_usecs);
            if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
                return error_at(w, "--tolerance_usecs needs a number of microseconds");
        } else if (name == "lenient") {
            std::stringstream ss(value);
            std::string item;
            while (std::getline(ss, item, ',')) {
                if (item != "win" && item != "options") return error_at(w, "--lenient takes win and options, not '" + item + "'");
                s.lenient.push_back(item);
            }
        } else {
            s.ignored_flags.push_back("--" + name + (value.empty() ? "" : "=" + value));
        }
        return end_of_line();
    }

    Result<PacketLine> packet(Where where, Time time) {
        PacketLine p;
        p.where = where;
        p.time = time;
        p.inbound = peek() == '<';
        advance();
        if (auto e = skip_space(false)) return *e;
        // Flags: tcpdump's letters, '.' for ACK, '-' for none.
        const Where flags_at = here();
        bool any = false;
        if (take("-")) {
            any = true;
        } else {
            for (;;) {
                const char c = peek();
                std::uint8_t bit = 0;
                switch (c) {
                case 'S': bit = 0x02; break;
                case 'F': bit = 0x01; break;
                case 'R': bit = 0x04; break;
                case 'P': bit = 0x08; break;
                case '.': bit = 0x10; break;
                case 'U': bit = 0x20; break;
                case 'E': bit = 0x40; break;
                case 'W': bit = 0x80; break;
                default: break;
                }
                if (bit == 0) break;
                p.flags |= bit;
                any = true;
                advance();
            }
        }
        if (!any || !(std::isspace(static_cast<unsigned char>(peek())) || at_end()))
            return error_at(flags_at, "expected TCP flags such as S, S., ., P., F., R or - but found " + found());
        if (auto e = skip_space(false)) return *e;
        if (take("[")) {  // ECN markings: accepted and not checked
            while (!at_end() && peek() != ']' && peek() != '\n') advance();
            if (!take("]")) return expected("']'");
            p.ecn_flags_any = true;
            if (auto e = skip_space(false)) return *e;
        }
        auto start = u32("a sequence number");
        if (!start) return start.error();
        if (!take(":")) return expected("':' in start:end(length)");
        auto end = u32("a sequence number");
        if (!end) return end.error();
        if (!take("(")) return expected("'(' in start:end(length)");
        auto len = u32("a length");
        if (!len) return len.error();
        if (!take(")")) return expected("')'");
        p.seq_start = *start;
        p.seq_end = *end;
        p.payload_len = *len;
        if (static_cast<std::uint32_t>(*end - *start) != *len)
            return error_at(where, "sequence range " + std::to_string(*start) + ":" + std::to_string(*end) +
                                       " does not span its length " + std::to_string(*len));
        for (;;) {
            if (auto e = skip_space(false)) return *e;
            if (at_end() || peek() == '\n' || peek() == ';') break;
            if (peek() == '<') {
                auto o = options(p);
                if (o) return *o;
                continue;
            }
            const Where kw = here();
            const std::string k = word();
            if (auto e = skip_space(false)) return *e;
            if (k == "ack") {
                auto n = u32("an acknowledgment number");
                if (!n) return n.error();
                p.ack = *n;
            } else if (k == "win") {
                auto n = u32("a window");
                if (!n) return n.error();
                p.window = *n;
            } else {
                return error_at(kw, "expected 'ack', 'win' or '<options>' but found '" + k + "'");
            }
        }
        if (auto e = end_of_line()) return *e;
        return p;
    }

    std::optional<Error> options(PacketLine& p) {
        advance();  // '<'
        if (take("...>")) {
            p.options_any = true;
            return std::nullopt;
        }
        std::vector<TcpOptionSpec> list;
        for (;;) {
            if (auto e = skip_space(false)) return e;
            TcpOptionSpec o;
            const Where w = here();
            const std::string k = word();
            if (auto e = skip_space(false)) return e;
            if (k == "mss" || k == "wscale") {
                o.kind = k == "mss" ? TcpOptionSpec::Kind::mss : TcpOptionSpec::Kind::window_scale;
                auto n = u32("a number");
                if (!n) return n.error();
                o.value = *n;
            } else if (k == "sackOK") {
                o.kind = TcpOptionSpec::Kind::sack_permitted;
            } else if (k == "nop") {
                o.kind = TcpOptionSpec::Kind::nop;
            } else if (k == "eol") {
                o.kind = TcpOptionSpec::Kind::eol;
            } else if (k == "TS") {
                o.kind = TcpOptionSpec::Kind::timestamps;
                if (word() != "val") return expected("'val'");
                if (auto e = skip_space(false)) return e;
                auto v = u32("a TS value");
                if (!v) return v.error();
                if (auto e = skip_space(false)) return e;
                if (word() != "ecr") return expected("'ecr'");
                if (auto e = skip_space(false)) return e;
                auto ecr = u32("a TS echo reply");
                if (!ecr) return ecr.error();
                o.value = *v;
                o.value2 = *ecr;
            } else if (k == "sack") {
                o.kind = TcpOptionSpec::Kind::sack;
                while (std::isdigit(static_cast<unsigned char>(peek()))) {
                    auto l = u32("a SACK edge");
                    if (!l) return l.error();
                    if (!take(":")) return expected("':' in a SACK block");
                    auto r = u32("a SACK edge");
                    if (!r) return r.error();
                    o.blocks.emplace_back(*l, *r);
                    if (auto e = skip_space(false)) return e;
                }
                if (o.blocks.empty()) return expected("a SACK block left:right");
            } else if (!k.empty()) {
                o.kind = TcpOptionSpec::Kind::other;
                o.text = k;
                while (!at_end() && peek() != ',' && peek() != '>' && peek() != '\n') {
                    o.text += peek();
                    advance();
                }
            } else {
                return error_at(w, "expected a TCP option (mss, sackOK, TS, nop, eol, wscale, sack) but found " + found());
            }
            list.push_back(std::move(o));
            if (auto e = skip_space(false)) return e;
            if (take(",")) continue;
            if (take(">")) break;
            return expected("',' or '>' in the option list");
        }
        p.options = std::move(list);
        return std::nullopt;
    }

    // Items separated by commas up to `close` (the opener already taken),
    // each parsed by `item`; spaces and line breaks allowed between them.
    template <typename Item>
    std::optional<Error> comma_list(std::string_view close, Item&& item) {
        for (;;) {
            if (auto e = skip_space(true)) return e;
            if (take(close)) return std::nullopt;  // also after a trailing comma
            if (auto e = item()) return e;
            if (auto e = skip_space(true)) return e;
            if (take(",")) continue;
            if (take(close)) return std::nullopt;
            return expected("',' or '" + std::string{close} + "'");
        }
    }

    Result<Argument> argument() {
        if (auto e = skip_space(true)) return *e;
        Argument a;
        if (take("...")) {
            a.kind = Argument::Kind::elided;
            return a;
        }
        if (take("{")) {
            a.kind = Argument::Kind::structure;
            if (auto e = comma_list("}", [&]() -> std::optional<Error> {
                    std::string name = word();
                    if (name.empty()) return expected("a field name");
                    if (auto e2 = skip_space(false)) return e2;
                    if (!take("=")) return expected("'=' after a field name");
                    auto v = argument();
                    if (!v) return v.error();
                    a.field_names.push_back(std::move(name));
                    a.field_values.push_back(std::move(*v));
                    return std::nullopt;
                }))
                return *e;
            return a;
        }
        if (take("[")) {
            a.kind = Argument::Kind::array;
            if (auto e = comma_list("]", [&]() -> std::optional<Error> {
                    auto v = argument();
                    if (!v) return v.error();
                    a.items.push_back(std::move(*v));
                    return std::nullopt;
                }))
                return *e;
            return a;
        }
        if (take("\"")) {
            a.kind = Argument::Kind::string;
            while (!at_end() && peek() != '"' && peek() != '\n') {
                a.text += peek();
                advance();
            }
            if (!take("\"")) return expected("'\"' closing the string");
            return a;
        }
        // A number, a name, or names and numbers joined by '|' (flags).
        const Where start = here();
        std::string text;
        bool negative = false;
        if (take("-")) negative = true;
        while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '|' || peek() == '&') {
            text += peek();
            advance();
        }
        if (text.empty()) return expected("an argument");
        const bool numeric = text.find_first_not_of("0123456789") == std::string::npos ||
                             (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                              text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos);
        if (numeric) {
            a.kind = Argument::Kind::integer;
            const bool hex = text.size() > 2 && (text[1] == 'x' || text[1] == 'X');
            std::int64_t v = 0;
            const char* first = text.data() + (hex ? 2 : 0);
            const auto [end, ec] = std::from_chars(first, text.data() + text.size(), v, hex ? 16 : 10);
            if (ec != std::errc{} || end != text.data() + text.size()) return error_at(start, "number '" + text + "' is too large");
            a.integer = negative ? -v : v;
        } else if (negative) {
            return expected("a number after '-'");
        } else {
            a.kind = text.find_first_of("|&") == std::string::npos ? Argument::Kind::name : Argument::Kind::expression;
            a.text = text;
        }
        return a;
    }

    Result<CallLine> syscall(Where where, Time time) {
        CallLine c;
        c.where = where;
        c.time = time;
        c.name = word();
        if (!take("(")) return expected("'(' after the call's name");
        if (auto e = skip_space(true)) return *e;
        if (!take(")")) {
            for (;;) {
                auto a = argument();
                if (!a) return a.error();
                c.args.push_back(std::move(*a));
                if (auto e = skip_space(true)) return *e;
                if (take(",")) continue;
                if (take(")")) break;
                return expected("',' or ')' in the arguments");
            }
        }
        if (auto e = skip_space(false)) return *e;
        if (!take("=")) return expected("'=' and the expected result");
        if (auto e = skip_space(false)) return *e;
        if (take("...")) {
            c.result_any = true;
        } else {
            const bool negative = take("-");
            auto n = number("a result");
            if (!n) return n.error();
            c.result = static_cast<std::int64_t>(*n) * (negative ? -1 : 1);
            if (auto e = skip_space(false)) return *e;
            if (std::isupper(static_cast<unsigned char>(peek()))) {
                c.errno_name = word();
                if (auto e = skip_space(false)) return *e;
            }
            // "(Connection reset by peer)", "(flags O_RDWR|O_NONBLOCK)": a comment on the result.
            if (take("(")) {
                std::string text;
                int depth = 1;
                while (!at_end() && peek() != '\n') {
                    if (peek() == '(') ++depth;
                    if (peek() == ')' && --depth == 0) break;
                    text += peek();
                    advance();
                }
                if (!take(")")) return expected("')' closing the text after the result");
                c.errno_text = text;
            }
        }
        if (auto e = end_of_line()) return *e;
        return c;
    }

    Result<ShellLine> shell(Where where, Time time) {
        ShellLine s;
        s.where = where;
        s.time = time;
        advance();  // '`'
        while (!at_end() && peek() != '`') {
            s.command += peek();
            advance();
        }
        if (!take("`")) return error_at(where, "unterminated `shell command`");
        std::stringstream ss(s.command);
        std::string tok;
        std::vector<std::string> toks;
        while (ss >> tok) toks.push_back(tok);
        if (!toks.empty() && toks[0] == "sysctl") {
            for (std::size_t i = 1; i < toks.size(); ++i) {
                const auto eq = toks[i].find('=');
                if (toks[i][0] != '-' && eq != std::string::npos && eq > 0)
                    s.sysctl = std::pair{toks[i].substr(0, eq), toks[i].substr(eq + 1)};
            }
        }
        if (auto e = end_of_line()) return *e;
        return s;
    }

    Result<CodeBlock> code(Where where, Time time) {
        CodeBlock b;
        b.where = where;
        b.time = time;
        advance(2);  // "%{"
        while (!at_end() && !(peek() == '}' && peek(1) == '%')) {
            b.code += peek();
            advance();
        }
        if (!take("}%")) return error_at(where, "unterminated %{ code block }%");
        // `assert NAME == VALUE` is the part the runner evaluates.
        const auto word_end = [&](std::size_t from) {
            while (from < b.code.size() && (std::isalnum(static_cast<unsigned char>(b.code[from])) || b.code[from] == '_'))
                ++from;
            return from;
        };
        const auto skip_space = [&](std::size_t from) {
            while (from < b.code.size() && std::isspace(static_cast<unsigned char>(b.code[from]))) ++from;
            return from;
        };
        std::size_t at = 0;
        while ((at = b.code.find("assert", at)) != std::string::npos) {
            const bool starts_word = at == 0 || !(std::isalnum(static_cast<unsigned char>(b.code[at - 1])) || b.code[at - 1] == '_');
            at += 6;
            const std::size_t n = skip_space(at);
            if (!starts_word || n == at) continue;
            const std::size_t n_end = word_end(n);
            const std::size_t eq = skip_space(n_end);
            if (n_end == n || b.code.compare(eq, 2, "==") != 0) continue;
            const std::size_t v = skip_space(eq + 2);
            const std::size_t v_end = word_end(v);
            if (v_end == v) continue;
            b.asserts.push_back({b.code.substr(n, n_end - n), b.code.substr(v, v_end - v)});
            at = v_end;
        }
        if (auto e = end_of_line()) return *e;
        return b;
    }

    std::string_view text_;
    std::string file_;
    std::size_t pos_{0};
    int line_{1};
    int column_{1};
};

} // namespace

Result<Script> parse_script(std::string_view text, std::string file_name) {
    return Parser{text, std::move(file_name)}.run();
}

Result<Script> load_script(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::io(path + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_script(ss.str(), path);
}

} // namespace teardown::script
