#pragma once
// The servers the lab runs on our Stack for real clients: echo (RFC 862),
// discard (RFC 863) and a minimal HTTP/1.1 responder that keeps or closes
// each connection as its request's `Connection` header asks (RFC 9112 §9.3,
// §9.6). Many connections at once; each is polled, so the Stack's events
// need not be read. Pure: the caller passes the time and carries segments.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "engine/stack.hpp"

namespace teardown::lab {

enum class ServiceKind : std::uint8_t { echo, discard, http };
std::optional<ServiceKind> service_named(std::string_view name);
std::string_view to_string(ServiceKind k);

class Service {
public:
    // `on_call`: each accept and close, for the run's trace.
    Service(ServiceKind kind, std::function<void(const std::string&)> on_call) : kind_{kind}, on_call_{std::move(on_call)} {}

    engine::Errno listen(engine::Stack& stack, Instant now, const wire::Endpoint& local);
    // Accepts, reads, answers and closes whatever can be now.
    void poll(engine::Stack& stack, Instant now);

    std::uint64_t accepted() const { return accepted_; }
    std::uint64_t closed() const { return closed_; }       // connections this service closed (or saw fail)
    std::uint64_t responses() const { return responses_; } // HTTP responses sent in full to the Stack
    std::size_t open() const { return conns_.size(); }

private:
    struct Conn {
        int fd{-1};
        std::string in;         // what was read and not yet answered
        std::string out;        // what the Stack had no room for yet
        bool peer_done{false};  // the peer's FIN was read
        bool close_after{false};  // close once `out` is gone
    };
    // false when the connection is finished with (closed or failed).
    bool serve(engine::Stack& stack, Instant now, Conn& c);
    void answer_http(Conn& c);
    bool flush(engine::Stack& stack, Instant now, Conn& c);

    ServiceKind kind_;
    std::function<void(const std::string&)> on_call_;
    std::vector<int> listeners_;
    std::vector<Conn> conns_;
    std::uint64_t accepted_{0};
    std::uint64_t closed_{0};
    std::uint64_t responses_{0};
};

// One HTTP/1.1 request head, as much as the responder needs.
struct HttpRequest {
    std::string method;
    std::string target;
    std::string version;        // "HTTP/1.1"
    bool keep_alive{true};      // after the response, per RFC 9112 §9.3
    std::size_t content_length{0};
    std::size_t head_length{0}; // bytes of the head, the blank line included
};
// nullopt while the head is incomplete; an error for a head that is not HTTP.
std::optional<Result<HttpRequest>> parse_http_request(std::string_view buffered);

} // namespace teardown::lab
