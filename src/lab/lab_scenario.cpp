#include "lab/lab_scenario.hpp"

#include <cctype>

namespace teardown::lab {

namespace {

// A TOML value as the user would have written it: numbers and booleans bare, the rest quoted.
std::string toml_value(const std::string& v) {
    if (v == "true" || v == "false") return v;
    bool number = !v.empty();
    bool digits = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (std::isdigit(static_cast<unsigned char>(c))) digits = true;
        else if (!(c == '.' || (i == 0 && c == '-'))) number = false;
    }
    if (number && digits) return v;
    std::string q = "\"";
    for (const char c : v) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

struct Source {
    std::string text;
    std::vector<std::string> origin;  // line (1-based) -> the flag it came from, or empty

    void line(const std::string& l, const std::string& from = {}) {
        text += l + "\n";
        origin.push_back(from);
    }
};

// "k=v,k=v" as TOML lines, each remembered as coming from `flag`.
Result<void> key_values(Source& src, const std::string& flag, const std::string& spec) {
    const std::string from = flag + " '" + spec + "'";
    std::size_t at = 0;
    while (at <= spec.size()) {
        const auto comma = spec.find(',', at);
        const std::string item = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) return Error::parse(from + ": '" + item + "' is not key=value");
        src.line(item.substr(0, eq) + " = " + toml_value(item.substr(eq + 1)), from);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return {};
}

} // namespace

Result<sim::Scenario> lab_scenario(const LabFlags& f, const LabAddresses& a) {
    Source src;
    src.line("name = \"lab\"");
    src.line("[link]");
    src.line("delay = \"0ms\"");  // the TUN path adds none of its own
    for (const auto& l : f.link)
        if (auto r = key_values(src, "--link", l); !r) return r.error();
    src.line("[[host]]");
    src.line(std::string{"name = \""} + k_kernel_name + "\"");
    src.line("address = \"" + (f.ipv6 ? a.kernel_v6 : a.kernel_v4).to_string() + "\"");
    src.line("[[host]]");
    src.line(std::string{"name = \""} + k_ours_name + "\"");
    src.line("address = \"" + (f.ipv6 ? a.ours_v6 : a.ours_v4).to_string() + "\"");
    src.line("profile = " + toml_value(f.profile), "--profile '" + f.profile + "'");
    std::string steps = "app = [";
    for (std::size_t i = 0; i < f.app.size(); ++i) steps += (i ? ", " : "") + toml_value(f.app[i]);
    src.line(steps + "]", "--app");
    for (const auto& s : f.settings)
        if (auto r = key_values(src, "--set", s); !r) return r.error();
    for (const auto& i : f.impair) {
        src.line("[[impair]]", "--impair '" + i + "'");
        if (auto r = key_values(src, "--impair", i); !r) return r.error();
    }
    for (const auto& c : f.cut) {
        src.line("[[partition]]", "--cut '" + c + "'");
        if (auto r = key_values(src, "--cut", c); !r) return r.error();
    }
    auto sc = sim::parse_scenario(src.text, "lab");
    if (!sc) {
        // "lab:12: what" becomes "--impair 'drop=fni': what".
        const std::string& m = sc.error().message;
        const auto colon = m.find(':', 4);
        if (m.starts_with("lab:") && colon != std::string::npos) {
            const std::size_t line = static_cast<std::size_t>(std::atoi(m.c_str() + 4));
            const std::string what = m.substr(colon + 2);
            if (line >= 1 && line <= src.origin.size() && !src.origin[line - 1].empty())
                return Error::parse(src.origin[line - 1] + ": " + what);
            return Error::parse("lab settings: " + what);
        }
        return sc.error();
    }
    return sc;
}

} // namespace teardown::lab
