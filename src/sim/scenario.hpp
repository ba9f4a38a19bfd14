#pragma once
// A simulator scenario: hosts running a Stack and a small scripted
// application, the link between them, impairments aimed at particular
// segments, and the outcome the run must show. Read from a TOML file
// (docs/scenarios.md); every error names FILE:LINE and what is wrong.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/config.hpp"
#include "wire/ip_address.hpp"

namespace teardown::sim {

// One step of a host's application, run in order; each waits until it can finish.
struct AppStep {
    enum class Op : std::uint8_t {
        listen,    // listen PORT [BACKLOG]
        accept,    // accept: the next connection becomes the current one
        connect,   // connect HOST:PORT [from PORT]
        send,      // send BYTES
        read,      // read BYTES: until that many have been read (or EOF, or an error)
        read_eof,  // read eof: until the peer's FIN (or an error)
        shutdown,  // shutdown: SHUT_WR, our FIN after what was sent
        close,     // close
        abort,     // abort: close with SO_LINGER {1, 0}, a RST
        wait,      // wait DURATION
        crash,     // crash: the host loses every connection and goes dark
        reboot,    // reboot: up again with nothing (old segments get RST)
        vanish,    // vanish: the host is cut off the network for good, state kept
        silent,    // silent: the application does nothing more (never reads, never closes)
        flood,     // flood COUNT [syn|ack] HOST:PORT: SYNs (or blind ACKs) from forged addresses
    };
    Op op{Op::wait};
    std::string host;          // connect, flood
    std::uint16_t port{0};     // listen, connect, flood
    std::uint16_t from_port{0};
    std::uint64_t count{0};    // send, read, flood; listen's backlog
    bool flood_acks{false};    // flood: ACKs guessing at SYN cookies instead of SYNs
    Duration duration{};       // wait
    std::string text;          // as written
    int line{0};
};

struct HostSpec {
    std::string name;
    wire::IpAddress address;
    engine::Config config;
    std::vector<AppStep> app;
    int line{0};
};

// The link every pair of hosts shares, each direction on its own.
struct LinkSpec {
    Duration delay{Duration::millis(10)};
    Duration jitter{};
    double loss{0};            // chance a segment is lost
    double duplicate{0};       // chance it arrives twice
    double reorder{0};         // chance it is held back past the ones after it
    std::uint64_t bandwidth_bps{0};  // 0: no serialisation delay
};

// What a segment is, as an impairment names it.
// ack_of_fin: a bare ACK that acknowledges the receiver's FIN (the last ACK of a close).
enum class SegmentKind : std::uint8_t { any, syn, syn_ack, data, ack, fin, rst, ack_of_fin };

// "Drop the 2nd FIN from B": the nth segment of a kind from a host, and
// `count - 1` more of that kind after it (0: every one from the nth on).
struct Impairment {
    enum class Action : std::uint8_t { drop, delay, duplicate };
    Action action{Action::drop};
    SegmentKind kind{SegmentKind::any};
    std::string from;          // host name; empty: any host
    std::uint32_t nth{1};
    std::uint32_t count{1};
    Duration by{};             // delay: the extra delay; duplicate: the copy's extra delay
    int line{0};
};

// No segment crosses between `host` and the others (every host when
// empty) from `at` until `heal` (never when absent).
struct Partition {
    std::string host;
    Duration at{};
    std::optional<Duration> heal;
    int line{0};
};

// One fact the run must show, as written under [expect].
struct Expectation {
    // anomalies: what a capture of the run must show to `teardown analyze`
    // (the analyzer's tests check it; the simulator has no wire view of its own).
    std::string key;    // ending, closer, pattern, reset_by, time_wait, connections, within, anomalies,
                        // state.HOST, delivered.HOST, error.HOST, causes.HOST, counter.HOST.NAME
    std::vector<std::string> values;
    int line{0};
};

struct Scenario {
    std::string file;
    std::string name;
    std::string seed_section;  // where in the seed it comes from, e.g. "§2"
    std::string summary;       // one line in the seed's words
    std::string verdict;       // what the demo says once it passed
    std::uint64_t seed{1};
    Duration until{Duration::seconds(900)};  // virtual time the run may take at most
    std::vector<HostSpec> hosts;
    LinkSpec link;
    std::vector<Impairment> impairments;
    std::vector<Partition> partitions;
    std::vector<Expectation> expect;

    int host_index(const std::string& name) const;
};

Result<Scenario> parse_scenario(std::string_view text, std::string file);
Result<Scenario> load_scenario(const std::string& path);

std::string_view to_string(SegmentKind k);

// "10ms", "1.5s", "250us", "2m", "1h", "0".
std::optional<Duration> parse_duration(std::string_view text);

} // namespace teardown::sim
