#pragma once
// The state of one script run (runner.cpp: the timeline; socket_calls.cpp:
// the system calls). Private to the script part.
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "engine/stack.hpp"
#include "script/runner.hpp"
#include "script/segment_match.hpp"
#include "script/sysctl_table.hpp"

namespace teardown::script {

// A descriptor as the script sees it; the engine's descriptor once it listens or connects.
struct ScriptSocket {
    int engine_fd{-1};
    bool listener{false};
    bool nonblocking{false};
    bool reuse_address{false};
    bool linger_on{false};
    int linger_seconds{0};
    bool connecting{false};
    std::optional<wire::Endpoint> bound;
    engine::Config config;
};

// What a system call returned: a value, or -1 and an errno.
struct CallResult {
    std::int64_t value{0};
    engine::Errno error{engine::Errno::none};
    bool blocks{false};  // a blocking socket has to wait
    static CallResult ok(std::int64_t v) { return {v, engine::Errno::none, false}; }
    static CallResult fail(engine::Errno e) { return {-1, e, false}; }
    static CallResult wait() { return {0, engine::Errno::none, true}; }
};

class Run {
public:
    Run(const Script& script, const RunOptions& options);
    Outcome go();

private:
    struct Sent {
        Instant at;
        engine::Segment segment;
    };
    struct Blocked {
        const CallLine* line;
        std::int64_t start_us;
        std::int64_t remaining{0};  // bytes a blocking write still has to hand over
    };

    // runner.cpp. Every step returns false once the run has failed (failure_ says why).
    bool line(const Line& line);
    bool packet(const PacketLine& line, std::int64_t t_us);
    bool expect(const PacketLine& line, std::int64_t t_us);
    bool shell(const ShellLine& line);
    bool code(const CodeBlock& line);
    bool advance_to(Instant t, const Where& where);
    bool fire_next_timer();
    void collect();
    bool retry_blocked();
    bool finish_blocked();
    bool fail(const Where& where, const std::string& what);
    std::string at_text(Instant t) const;
    void note(const std::string& text);
    void log(const Where& where, const std::string& text);
    TcpState current_state() const;

    // socket_calls.cpp
    bool call(const CallLine& line, std::int64_t t_us);
    // nullopt: the call itself is wrong (failure_ says how).
    std::optional<CallResult> execute(const CallLine& line, Blocked* resumed);
    bool check_result(const CallLine& line, const CallResult& r);
    engine::Stack& stack();
    int new_descriptor();
    ScriptSocket* socket_of(const CallLine& line);
    std::optional<std::int64_t> integer(const CallLine& line, std::size_t arg);
    std::optional<std::int64_t> value_of(const CallLine& line, const Argument& a);
    std::optional<CallResult> set_option(const CallLine& line, ScriptSocket& s);
    std::optional<CallResult> get_option(const CallLine& line, ScriptSocket& s);
    std::optional<CallResult> do_connect(ScriptSocket& s, Blocked* resumed);
    std::optional<CallResult> do_accept(ScriptSocket& s);
    std::optional<CallResult> do_read(const CallLine& line, ScriptSocket& s);
    std::optional<CallResult> do_write(const CallLine& line, ScriptSocket& s, Blocked* resumed);

    const Script& script_;
    RunOptions options_;
    Leniency lenient_;
    engine::Config base_;  // the options sockets start with (profile plus sysctls)
    std::unique_ptr<engine::Stack> stack_;
    Instant now_{};
    std::int64_t last_us_{0};  // the previous line's time, for "+" times
    std::map<int, ScriptSocket> sockets_;
    std::optional<wire::FourTuple> current_;  // the connection the script is talking to
    bool current_connected_{false};           // whether a connection on current_ has existed yet
    SeqBase base_seq_;
    std::deque<Sent> sent_;
    std::optional<Blocked> blocked_;
    std::optional<std::string> failure_;
    Outcome outcome_;
    wire::IpAddress local_addr_;
    wire::IpAddress remote_addr_;
};

// Microseconds of script time as the script writes seconds: "0.300000".
std::string seconds_text(std::int64_t us);

// Where the script's hosts are: documentation addresses (RFC 5737, RFC 3849).
inline constexpr std::uint16_t k_bind_port = 8080;     // packetdrill's --bind_port
inline constexpr std::uint16_t k_connect_port = 8080;  // and --connect_port
inline constexpr std::uint16_t k_remote_port = 40001;  // the remote's port when it opens

} // namespace teardown::script
