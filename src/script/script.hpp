#pragma once
// A conformance script in the syntax of Google's packetdrill, parsed into
// typed lines: the engine is the local host, the script plays the remote.
// Times are in microseconds; every line keeps where it came from.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace teardown::script {

struct Where {
    int line{0};
    int column{0};
};

struct Time {
    enum class Kind : std::uint8_t { absolute, relative, any };
    Kind kind{Kind::absolute};
    std::int64_t usecs{0};
    std::optional<std::int64_t> range_end;     // "a~b": any time in [a, b]
    std::optional<std::int64_t> blocking_end;  // "t1...t2": a call that blocks until t2
};

struct TcpOptionSpec {
    enum class Kind : std::uint8_t { mss, sack_permitted, timestamps, nop, eol, window_scale, sack, other };
    Kind kind{Kind::nop};
    std::uint32_t value{0};   // mss, window scale, TS val
    std::uint32_t value2{0};  // TS ecr
    std::vector<std::pair<std::uint32_t, std::uint32_t>> blocks;  // sack
    std::string text;         // other: as written
};

struct PacketLine {
    Where where;
    Time time;
    bool inbound{true};            // '<' the script injects, '>' the engine must send
    std::uint8_t flags{0};         // TCP flag bits (wire::TcpFlags values)
    bool ecn_flags_any{false};
    std::uint32_t seq_start{0};
    std::uint32_t seq_end{0};
    std::uint32_t payload_len{0};
    std::optional<std::uint32_t> ack;
    std::optional<std::uint32_t> window;
    bool options_any{false};       // "<...>"
    std::optional<std::vector<TcpOptionSpec>> options;
};

struct Argument {
    enum class Kind : std::uint8_t { integer, name, elided, structure, array, string, expression };
    Kind kind{Kind::integer};
    std::int64_t integer{0};
    std::string text;                    // name, string, expression as written
    // structure {onoff=1, linger=0}: names and values side by side (a
    // vector may hold the type being defined; a pair may not)
    std::vector<std::string> field_names;
    std::vector<Argument> field_values;
    std::vector<Argument> items;         // array
};

struct CallLine {
    Where where;
    Time time;
    std::string name;
    std::vector<Argument> args;
    bool result_any{false};              // "= ..."
    std::int64_t result{0};
    std::optional<std::string> errno_name;  // "= -1 ECONNRESET (Connection reset by peer)"
    std::optional<std::string> errno_text;
};

struct ShellLine {
    Where where;
    Time time;
    std::string command;
    // "sysctl -q name=value" or "sysctl -w name=value"
    std::optional<std::pair<std::string, std::string>> sysctl;
};

// One `assert NAME == VALUE` of a code block: "tcpi_state" and "TCP_CLOSE_WAIT",
// or a counter as nstat names it and a number ("TcpExtTW", "1").
struct CodeAssert {
    std::string name;
    std::string value;
    bool operator==(const CodeAssert&) const = default;
};

struct CodeBlock {
    Where where;
    Time time;
    std::string code;
    std::vector<CodeAssert> asserts;
};

using Line = std::variant<PacketLine, CallLine, ShellLine, CodeBlock>;

struct Script {
    std::string file;
    std::string ip_version{"ipv4"};     // --ip_version
    std::int64_t tolerance_usecs{4000}; // --tolerance_usecs
    std::vector<std::string> lenient;   // --lenient=win,options
    std::vector<std::string> ignored_flags;
    std::vector<Line> lines;
};

Result<Script> parse_script(std::string_view text, std::string file_name);
Result<Script> load_script(const std::string& path);

} // namespace teardown::script
