#pragma once
// A host's scripted application (the `app` steps of a scenario) run against
// its Stack: each step goes as far as it can and waits when it must. Where
// it runs, the simulator or the lab, is behind AppHost, so a step means the
// same in virtual time and on a TUN device in front of the Linux kernel.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "engine/errno.hpp"
#include "engine/segment.hpp"
#include "engine/stack.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace teardown::sim {

// What the steps need from the place they run.
class AppHost {
public:
    virtual engine::Stack& stack() = 0;
    virtual Instant now() const = 0;
    virtual const wire::IpAddress& self() const = 0;
    // The address of the host a step names (connect, flood); nullopt: no such host.
    virtual std::optional<wire::IpAddress> address_of(const std::string& host) const = 0;
    virtual void on_call(const std::string& text) = 0;  // the application called the stack
    virtual void on_note(const std::string& text) = 0;  // anything else worth telling
    virtual void collect() = 0;                         // after every call: the stack's output
    virtual void wake_at(Instant at) = 0;               // run the application again then
    virtual void on_closing() = 0;                      // the first close-like step began
    virtual void crash() = 0;                           // the stack loses everything (a new one)
    virtual void vanish() = 0;                          // cut off the network for good
    virtual void send_forged(engine::Segment seg) = 0;  // a flood's segment
    virtual std::uint64_t draw() = 0;                   // a random number

protected:
    ~AppHost() = default;
};

class AppRunner {
public:
    explicit AppRunner(const std::vector<AppStep>& steps) : steps_{&steps} {}

    // Runs the steps until one has to wait.
    void run(AppHost& host);

    bool down() const { return down_; }         // crashed, not yet rebooted
    bool finished() const { return step_ >= steps_->size(); }
    std::size_t steps_done() const { return step_; }
    std::uint64_t bytes_sent() const { return bytes_sent_; }
    std::uint64_t bytes_read() const { return bytes_read_; }
    engine::Errno last_error() const { return last_error_; }
    int current_fd() const { return fd_; }
    int listener_fd() const { return listener_; }

private:
    bool step(AppHost& host, const AppStep& st);  // true when done, false when it must wait
    void saw_error(AppHost& host, engine::Errno e, const std::string& during);

    const std::vector<AppStep>* steps_;
    std::size_t step_{0};
    int fd_{-1};        // the current connection
    int listener_{-1};
    std::uint64_t progress_{0};  // bytes or SYNs of the current step so far
    Instant step_started_{Instant::never()};
    Instant next_due_{};         // a flood's next SYN
    bool waiting_{false};        // the current step has begun
    bool down_{false};
    bool silent_{false};
    std::uint64_t bytes_sent_{0};
    std::uint64_t bytes_read_{0};
    engine::Errno last_error_{engine::Errno::none};
};

// What a host ended a run with: its application's progress and what its
// Stack still holds (nothing, when the host is down).
HostResult host_result(const engine::Stack& stack, const AppRunner& app);

} // namespace teardown::sim
