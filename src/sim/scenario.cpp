#include "sim/scenario.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "engine/errno.hpp"
#include "engine/mib.hpp"
#include "core/vocabulary.hpp"
#include "sim/toml.hpp"

namespace teardown::sim {

std::string_view to_string(SegmentKind k) {
    switch (k) {
    case SegmentKind::any: return "any";
    case SegmentKind::syn: return "syn";
    case SegmentKind::syn_ack: return "syn_ack";
    case SegmentKind::data: return "data";
    case SegmentKind::ack: return "ack";
    case SegmentKind::fin: return "fin";
    case SegmentKind::rst: return "rst";
    case SegmentKind::ack_of_fin: return "ack_of_fin";
    }
    return "?";
}

int Scenario::host_index(const std::string& n) const {
    for (std::size_t i = 0; i < hosts.size(); ++i)
        if (hosts[i].name == n) return static_cast<int>(i);
    return -1;
}

namespace {

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::string w;
    for (char c : s) {
        if (c == ' ' || c == '\t') {
            if (!w.empty()) out.push_back(std::move(w));
            w.clear();
        } else {
            w += c;
        }
    }
    if (!w.empty()) out.push_back(std::move(w));
    return out;
}

std::optional<std::uint64_t> unsigned_number(std::string_view s) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

} // namespace

std::optional<Duration> parse_duration(std::string_view s) {
    if (s == "0") return Duration::zero();
    std::size_t unit = s.size();
    while (unit > 0 && std::isalpha(static_cast<unsigned char>(s[unit - 1]))) --unit;
    double n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + unit, n);
    if (unit == 0 || ec != std::errc{} || end != s.data() + unit || n < 0 || !std::isfinite(n)) return std::nullopt;
    const std::string_view u = s.substr(unit);
    double ns_per = 0;
    if (u == "ns") ns_per = 1;
    else if (u == "us") ns_per = 1e3;
    else if (u == "ms") ns_per = 1e6;
    else if (u == "s") ns_per = 1e9;
    else if (u == "m" || u == "min") ns_per = 60e9;
    else if (u == "h") ns_per = 3600e9;
    else return std::nullopt;
    const double ns = n * ns_per;
    if (ns > 1e18) return std::nullopt;
    return Duration::nanos(static_cast<std::int64_t>(std::llround(ns)));
}

namespace {

// "100Mbit", "1Gbit", "64kbit", or a plain number of bits a second.
std::optional<std::uint64_t> parse_bandwidth(std::string_view s) {
    std::size_t unit = s.size();
    while (unit > 0 && std::isalpha(static_cast<unsigned char>(s[unit - 1]))) --unit;
    const auto n = unsigned_number(s.substr(0, unit));
    if (!n) return std::nullopt;
    const std::string_view u = s.substr(unit);
    std::uint64_t scale = 0;
    if (u.empty() || u == "bit") scale = 1;
    else if (u == "kbit") scale = 1000;
    else if (u == "Mbit") scale = 1000'000;
    else if (u == "Gbit") scale = 1000'000'000;
    else return std::nullopt;
    if (*n > (1ull << 44)) return std::nullopt;
    return *n * scale;
}

class Reader {
public:
    explicit Reader(const TomlDocument& doc) : doc_{doc} { scenario_.file = doc.file; }

    Result<Scenario> run() {
        for (const auto& section : doc_.sections) {
            if (section.name.empty()) {
                if (auto e = root(section)) return *e;
            } else if (section.name == "link" && !section.array_item) {
                if (auto e = link(section)) return *e;
            } else if (section.name == "host" && section.array_item) {
                if (auto e = host(section)) return *e;
            } else if (section.name == "impair" && section.array_item) {
                if (auto e = impair(section)) return *e;
            } else if (section.name == "partition" && section.array_item) {
                if (auto e = partition(section)) return *e;
            } else if (section.name == "expect" && !section.array_item) {
                if (auto e = expect(section)) return *e;
            } else {
                return fail(section.line, std::string{"unknown section "} + (section.array_item ? "[[" : "[") + section.name +
                                              (section.array_item ? "]]" : "]") +
                                              " (known: [link], [[host]], [[impair]], [[partition]], [expect])");
            }
        }
        if (scenario_.name.empty()) return fail(1, "the scenario has no name = \"...\"");
        if (scenario_.hosts.size() < 2) return fail(1, "a scenario needs at least two [[host]] sections");
        if (auto e = resolve()) return *e;
        return std::move(scenario_);
    }

private:
    Error fail(int line, const std::string& what) const {
        return Error::parse(doc_.file + ":" + std::to_string(line) + ": " + what);
    }
    std::optional<Error> want(const TomlEntry& e, TomlValue::Kind k) const {
        if (e.value.kind == k) return std::nullopt;
        if (k == TomlValue::Kind::floating && e.value.kind == TomlValue::Kind::integer) return std::nullopt;
        return fail(e.line, "'" + e.key + "' must be " + std::string{kind_name(k)} + ", not " + std::string{kind_name(e.value.kind)});
    }
    double number(const TomlEntry& e) const {
        return e.value.kind == TomlValue::Kind::integer ? static_cast<double>(e.value.integer) : e.value.floating;
    }
    Result<Duration> duration(const TomlEntry& e) const {
        if (auto err = want(e, TomlValue::Kind::string)) return *err;
        const auto d = parse_duration(e.value.text);
        if (!d) return fail(e.line, "'" + e.key + "': '" + e.value.text + "' is not a duration (10ms, 1.5s, 2m, ...)");
        return *d;
    }
    Result<double> probability(const TomlEntry& e) const {
        if (auto err = want(e, TomlValue::Kind::floating)) return *err;
        const double p = number(e);
        if (!(p >= 0 && p <= 1)) return fail(e.line, "'" + e.key + "' is a probability, between 0 and 1");
        return p;
    }
    Result<std::uint32_t> count(const TomlEntry& e, std::int64_t least) const {
        if (auto err = want(e, TomlValue::Kind::integer)) return *err;
        if (e.value.integer < least || e.value.integer > 1'000'000'000)
            return fail(e.line, "'" + e.key + "' must be at least " + std::to_string(least));
        return static_cast<std::uint32_t>(e.value.integer);
    }
    // Each reads one entry into its field: nothing, or the error naming its line.
    std::optional<Error> read(const TomlEntry& e, Duration& into) const {
        auto d = duration(e);
        if (!d) return d.error();
        into = *d;
        return std::nullopt;
    }
    std::optional<Error> read(const TomlEntry& e, std::uint32_t& into, std::int64_t least = 0) const {
        auto n = count(e, least);
        if (!n) return n.error();
        into = *n;
        return std::nullopt;
    }
    std::optional<Error> read(const TomlEntry& e, bool& into) const {
        if (auto err = want(e, TomlValue::Kind::boolean)) return err;
        into = e.value.boolean;
        return std::nullopt;
    }
    std::optional<Error> read(const TomlEntry& e, std::string& into) const {
        if (auto err = want(e, TomlValue::Kind::string)) return err;
        into = e.value.text;
        return std::nullopt;
    }
    std::optional<Error> read_probability(const TomlEntry& e, double& into) const {
        auto p = probability(e);
        if (!p) return p.error();
        into = *p;
        return std::nullopt;
    }
    std::optional<Error> unknown(const TomlEntry& e, const char* where) const {
        return fail(e.line, "unknown key '" + e.key + "' in " + where);
    }

    std::optional<Error> root(const TomlSection& s) {
        for (const auto& e : s.entries) {
            std::optional<Error> err;
            if (e.key == "name") err = read(e, scenario_.name);
            else if (e.key == "seed_section") err = read(e, scenario_.seed_section);
            else if (e.key == "summary") err = read(e, scenario_.summary);
            else if (e.key == "verdict") err = read(e, scenario_.verdict);
            else if (e.key == "until") err = read(e, scenario_.until);
            else if (e.key == "seed") {
                std::uint32_t seed = 0;
                err = read(e, seed);
                scenario_.seed = seed;
            } else {
                return unknown(e, "the scenario's top level");
            }
            if (err) return err;
        }
        return std::nullopt;
    }

    std::optional<Error> link(const TomlSection& s) {
        auto& l = scenario_.link;
        for (const auto& e : s.entries) {
            std::optional<Error> err;
            if (e.key == "delay") err = read(e, l.delay);
            else if (e.key == "jitter") err = read(e, l.jitter);
            else if (e.key == "loss") err = read_probability(e, l.loss);
            else if (e.key == "duplicate") err = read_probability(e, l.duplicate);
            else if (e.key == "reorder") err = read_probability(e, l.reorder);
            else if (e.key == "bandwidth") {
                if (auto bad = want(e, TomlValue::Kind::string)) return bad;
                const auto b = parse_bandwidth(e.value.text);
                if (!b) return fail(e.line, "'bandwidth': '" + e.value.text + "' is not a rate (64kbit, 100Mbit, 1Gbit)");
                l.bandwidth_bps = *b;
            } else {
                return unknown(e, "[link]");
            }
            if (err) return err;
        }
        return std::nullopt;
    }

    // Engine settings a host may override, by the names docs/scenarios.md lists.
    std::optional<Error> host_setting(engine::Config& c, const TomlEntry& e, bool& known) {
        known = true;
        if (e.key == "time_wait") {
            Duration both{};
            if (auto err = read(e, both)) return err;
            c.msl = both / 2;
            return std::nullopt;
        }
        if (e.key == "rfc1337") return read(e, c.rfc1337);
        if (e.key == "rfc5961") return read(e, c.rfc5961);
        if (e.key == "syn_cookies") return read(e, c.syn_cookies);
        if (e.key == "timestamps") return read(e, c.timestamps);
        if (e.key == "window_scaling") return read(e, c.window_scaling);
        if (e.key == "sack") return read(e, c.sack);
        if (e.key == "nagle") return read(e, c.nagle);
        if (e.key == "delay_fin_ack") return read(e, c.delay_fin_ack);
        if (e.key == "keepalive") return read(e, c.keepalive);
        if (e.key == "keep_idle") return read(e, c.keep_idle);
        if (e.key == "keep_interval") return read(e, c.keep_interval);
        if (e.key == "keep_count") return read(e, c.keep_count);
        if (e.key == "user_timeout") return read(e, c.user_timeout);
        if (e.key == "fin_timeout") return read(e, c.fin_wait_2_timeout);
        if (e.key == "rto_min") return read(e, c.rto_min);
        if (e.key == "rto_initial") return read(e, c.rto_initial);
        if (e.key == "delayed_ack") return read(e, c.delayed_ack);
        if (e.key == "syn_retries") return read(e, c.syn_retries);
        if (e.key == "data_retries") return read(e, c.data_retries);
        if (e.key == "orphan_retries") return read(e, c.orphan_retries);
        if (e.key == "retries1") return read(e, c.retries1);
        if (e.key == "max_time_wait") return read(e, c.max_time_wait);
        known = false;
        return std::nullopt;
    }

    std::optional<Error> host(const TomlSection& s) {
        HostSpec h;
        h.line = s.line;
        const TomlEntry* profile = nullptr;
        for (const auto& e : s.entries)
            if (e.key == "profile") profile = &e;
        if (profile) {
            if (auto err = want(*profile, TomlValue::Kind::string)) return err;
            if (profile->value.text == "linux") h.config = engine::Config::linux();
            else if (profile->value.text == "rfc") h.config = engine::Config::rfc();
            else return fail(profile->line, "'profile' is \"linux\" or \"rfc\", not \"" + profile->value.text + "\"");
        } else {
            h.config = engine::Config::linux();
        }
        bool have_address = false;
        for (const auto& e : s.entries) {
            if (e.key == "profile") continue;
            if (e.key == "name") {
                if (auto err = want(e, TomlValue::Kind::string)) return err;
                if (e.value.text.empty() || e.value.text.find_first_of(" :") != std::string::npos)
                    return fail(e.line, "a host name is one word without ':'");
                h.name = e.value.text;
            } else if (e.key == "address") {
                if (auto err = want(e, TomlValue::Kind::string)) return err;
                const auto a = wire::IpAddress::parse(e.value.text);
                if (!a) return fail(e.line, "'address': '" + e.value.text + "' is not an IPv4 or IPv6 address");
                h.address = *a;
                have_address = true;
            } else if (e.key == "app") {
                if (auto err = want(e, TomlValue::Kind::array)) return err;
                for (const auto& item : e.value.items) {
                    if (item.kind != TomlValue::Kind::string) return fail(item.line, "each app step is a string, such as \"send 100\"");
                    auto step = app_step(item.text, item.line);
                    if (!step) return step.error();
                    h.app.push_back(std::move(*step));
                }
            } else {
                bool known = false;
                if (auto err = host_setting(h.config, e, known)) return err;
                if (!known) return unknown(e, "[[host]]");
            }
        }
        if (h.name.empty()) return fail(s.line, "this [[host]] has no name");
        if (!have_address) return fail(s.line, "host '" + h.name + "' has no address");
        if (scenario_.host_index(h.name) >= 0) return fail(s.line, "host '" + h.name + "' is defined twice");
        for (const auto& other : scenario_.hosts)
            if (other.address == h.address) return fail(s.line, "host '" + h.name + "' has the address of '" + other.name + "'");
        scenario_.hosts.push_back(std::move(h));
        return std::nullopt;
    }

    Result<AppStep> app_step(const std::string& text, int line) const {
        AppStep st;
        st.text = text;
        st.line = line;
        const auto w = words(text);
        const auto bad = [&](const std::string& why) { return fail(line, "app step \"" + text + "\": " + why); };
        if (w.empty()) return bad("empty");
        const auto target = [&](const std::string& hp) -> std::optional<Error> {
            const auto colon = hp.rfind(':');
            if (colon == std::string::npos || colon == 0) return bad("expected HOST:PORT, found '" + hp + "'");
            const auto port = unsigned_number(std::string_view{hp}.substr(colon + 1));
            if (!port || *port == 0 || *port > 65535) return bad("'" + hp.substr(colon + 1) + "' is not a port");
            st.host = hp.substr(0, colon);
            st.port = static_cast<std::uint16_t>(*port);
            return std::nullopt;
        };
        const std::string& op = w[0];
        const auto arity = [&](std::size_t lo, std::size_t hi) { return w.size() >= lo && w.size() <= hi; };
        if (op == "listen") {
            st.op = AppStep::Op::listen;
            if (!arity(2, 3)) return bad("listen PORT [BACKLOG]");
            const auto port = unsigned_number(w[1]);
            if (!port || *port == 0 || *port > 65535) return bad("'" + w[1] + "' is not a port");
            st.port = static_cast<std::uint16_t>(*port);
            st.count = 128;
            if (w.size() == 3) {
                const auto b = unsigned_number(w[2]);
                if (!b || *b == 0 || *b > 65535) return bad("'" + w[2] + "' is not a backlog");
                st.count = *b;
            }
        } else if (op == "connect") {
            st.op = AppStep::Op::connect;
            if (!(w.size() == 2 || (w.size() == 4 && w[2] == "from"))) return bad("connect HOST:PORT [from PORT]");
            if (auto e = target(w[1])) return *e;
            if (w.size() == 4) {
                const auto p = unsigned_number(w[3]);
                if (!p || *p == 0 || *p > 65535) return bad("'" + w[3] + "' is not a port");
                st.from_port = static_cast<std::uint16_t>(*p);
            }
        } else if (op == "send" || op == "read") {
            st.op = op == "send" ? AppStep::Op::send : AppStep::Op::read;
            if (!arity(2, 2)) return bad(op + " BYTES" + (op == "read" ? " or read eof" : ""));
            if (op == "read" && w[1] == "eof") {
                st.op = AppStep::Op::read_eof;
            } else {
                const auto n = unsigned_number(w[1]);
                if (!n || *n > (1ull << 32)) return bad("'" + w[1] + "' is not a byte count");
                st.count = *n;
            }
        } else if (op == "wait") {
            st.op = AppStep::Op::wait;
            if (!arity(2, 2)) return bad("wait DURATION");
            const auto d = parse_duration(w[1]);
            if (!d) return bad("'" + w[1] + "' is not a duration (10ms, 1.5s, 2m, ...)");
            st.duration = *d;
        } else if (op == "flood") {
            st.op = AppStep::Op::flood;
            if (!arity(3, 4) || (w.size() == 4 && w[2] != "syn" && w[2] != "ack")) return bad("flood COUNT [syn|ack] HOST:PORT");
            const auto n = unsigned_number(w[1]);
            if (!n || *n == 0 || *n > 10'000'000) return bad("'" + w[1] + "' is not a segment count");
            st.count = *n;
            st.flood_acks = w.size() == 4 && w[2] == "ack";
            if (auto e = target(w.back())) return *e;
        } else {
            static const std::map<std::string, AppStep::Op> bare{
                {"accept", AppStep::Op::accept}, {"shutdown", AppStep::Op::shutdown}, {"close", AppStep::Op::close},
                {"abort", AppStep::Op::abort},   {"crash", AppStep::Op::crash},       {"reboot", AppStep::Op::reboot},
                {"vanish", AppStep::Op::vanish}, {"silent", AppStep::Op::silent}};
            const auto it = bare.find(op);
            if (it == bare.end())
                return bad("unknown step '" + op +
                           "' (listen, accept, connect, send, read, shutdown, close, abort, wait, crash, reboot, vanish, silent, flood)");
            if (w.size() != 1) return bad("'" + op + "' takes nothing after it");
            st.op = it->second;
        }
        return st;
    }

    std::optional<Error> impair(const TomlSection& s) {
        Impairment im;
        im.line = s.line;
        bool have_action = false;
        for (const auto& e : s.entries) {
            if (e.key == "drop" || e.key == "delay" || e.key == "duplicate") {
                if (have_action) return fail(e.line, "an [[impair]] does one thing: drop, delay or duplicate");
                have_action = true;
                if (auto err = want(e, TomlValue::Kind::string)) return err;
                im.action = e.key == "drop" ? Impairment::Action::drop
                            : e.key == "delay" ? Impairment::Action::delay
                                               : Impairment::Action::duplicate;
                static const std::map<std::string, SegmentKind> kinds{
                    {"any", SegmentKind::any}, {"syn", SegmentKind::syn}, {"syn_ack", SegmentKind::syn_ack},
                    {"data", SegmentKind::data}, {"ack", SegmentKind::ack}, {"fin", SegmentKind::fin},
                    {"rst", SegmentKind::rst}, {"ack_of_fin", SegmentKind::ack_of_fin}};
                const auto it = kinds.find(e.value.text);
                if (it == kinds.end())
                    return fail(e.line, "'" + e.value.text + "' is not a segment kind (any, syn, syn_ack, data, ack, fin, rst, ack_of_fin)");
                im.kind = it->second;
            } else if (e.key == "from") {
                if (auto err = read(e, im.from)) return err;
                pending_hosts_.push_back({im.from, e.line});
            } else if (e.key == "nth") {
                if (auto err = read(e, im.nth, 1)) return err;
            } else if (e.key == "count") {
                if (auto err = read(e, im.count)) return err;
            } else if (e.key == "by") {
                if (auto err = read(e, im.by)) return err;
            } else {
                return unknown(e, "[[impair]]");
            }
        }
        if (!have_action) return fail(s.line, "this [[impair]] says neither drop, delay nor duplicate");
        if (im.action == Impairment::Action::delay && im.by == Duration::zero())
            return fail(s.line, "a delay needs 'by', how much later the segment arrives");
        scenario_.impairments.push_back(std::move(im));
        return std::nullopt;
    }

    std::optional<Error> partition(const TomlSection& s) {
        Partition p;
        p.line = s.line;
        for (const auto& e : s.entries) {
            if (e.key == "host") {
                if (auto err = read(e, p.host)) return err;
                pending_hosts_.push_back({p.host, e.line});
            } else if (e.key == "at") {
                if (auto err = read(e, p.at)) return err;
            } else if (e.key == "heal") {
                Duration heal{};
                if (auto err = read(e, heal)) return err;
                p.heal = heal;
            } else {
                return unknown(e, "[[partition]]");
            }
        }
        if (p.heal && *p.heal <= p.at) return fail(s.line, "a partition heals after it starts");
        scenario_.partitions.push_back(std::move(p));
        return std::nullopt;
    }

    std::optional<Error> expect(const TomlSection& s) {
        static const std::set<std::string> plain{"ending", "closer", "pattern", "reset_by", "time_wait", "connections", "within",
                                                 "anomalies"};
        static const std::set<std::string> per_host{"state", "delivered", "error", "causes", "counter"};
        for (const auto& e : s.entries) {
            Expectation x;
            x.key = e.key;
            x.line = e.line;
            const auto dot = e.key.find('.');
            const std::string head = e.key.substr(0, dot);
            if (dot == std::string::npos ? !plain.count(head) : !per_host.count(head))
                return fail(e.line, "unknown expectation '" + e.key +
                                        "' (ending, closer, pattern, reset_by, time_wait, connections, within, anomalies, "
                                        "state.HOST, delivered.HOST, error.HOST, causes.HOST, counter.HOST.NAME)");
            if (head == "counter") {
                // counter.HOST.NAME: one of the host's Stack counters, by its nstat name.
                const auto second = e.key.find('.', dot + 1);
                if (second == std::string::npos || !engine::counter_named(e.key.substr(second + 1)))
                    return fail(e.line, "'" + e.key + "' is not counter.HOST.NAME with NAME a counter (src/engine/mib.hpp)");
                pending_hosts_.push_back({e.key.substr(dot + 1, second - dot - 1), e.line});
            } else if (dot != std::string::npos) {
                pending_hosts_.push_back({e.key.substr(dot + 1), e.line});
            }
            if (e.value.kind == TomlValue::Kind::array) {
                for (const auto& v : e.value.items) {
                    if (v.kind != TomlValue::Kind::string) return fail(v.line, "'" + e.key + "' lists strings");
                    x.values.push_back(v.text);
                }
            } else if (e.value.kind == TomlValue::Kind::string) {
                x.values.push_back(e.value.text);
            } else if (e.value.kind == TomlValue::Kind::integer) {
                x.values.push_back(std::to_string(e.value.integer));
            } else {
                return fail(e.line, "'" + e.key + "' must be a string, an integer or an array of strings");
            }
            if (auto err = check_words(x)) return err;
            scenario_.expect.push_back(std::move(x));
        }
        return std::nullopt;
    }

    // Vocabulary words are checked now, so a typo is an error and not a failed run.
    std::optional<Error> check_words(const Expectation& x) const {
        const std::string head = x.key.substr(0, x.key.find('.'));
        for (const auto& v : x.values) {
            bool ok = true;
            if (head == "ending") ok = parse_word<Ending>(v).has_value();
            else if (head == "closer" || head == "reset_by" || head == "time_wait")
                ok = parse_word<Closer>(v).has_value() || scenario_.host_index(v) >= 0 || v == "client" || v == "server";
            else if (head == "pattern") ok = parse_word<Pattern>(v).has_value();
            else if (head == "state") ok = parse_word<TcpState>(v).has_value();
            else if (head == "causes") ok = parse_word<Cause>(v).has_value();
            else if (head == "anomalies") ok = parse_word<Anomaly>(v).has_value();
            else if (head == "within") ok = parse_duration(v).has_value();
            else if (head == "connections" || head == "delivered" || head == "counter") ok = unsigned_number(v).has_value();
            else if (head == "error") ok = v == "none" || engine::errno_named(v).has_value();
            if (!ok) return fail(x.line, "'" + v + "' is not a value for '" + x.key + "'");
        }
        return std::nullopt;
    }

    // Names that must be hosts, checked once every host is known.
    std::optional<Error> resolve() {
        for (const auto& [name, line] : pending_hosts_)
            if (!name.empty() && scenario_.host_index(name) < 0) return fail(line, "no host is named '" + name + "'");
        for (const auto& h : scenario_.hosts)
            for (const auto& st : h.app)
                if ((st.op == AppStep::Op::connect || st.op == AppStep::Op::flood) && scenario_.host_index(st.host) < 0)
                    return fail(st.line, "app step \"" + st.text + "\": no host is named '" + st.host + "'");
        return std::nullopt;
    }

    const TomlDocument& doc_;
    Scenario scenario_;
    std::vector<std::pair<std::string, int>> pending_hosts_;
};

} // namespace

Result<Scenario> parse_scenario(std::string_view text, std::string file) {
    auto doc = parse_toml(text, std::move(file));
    if (!doc) return doc.error();
    return Reader{*doc}.run();
}

Result<Scenario> load_scenario(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::io(path + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_scenario(ss.str(), path);
}

} // namespace teardown::sim
