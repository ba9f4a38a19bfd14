#include "lab/services.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace teardown::lab {

using engine::Errno;

std::optional<ServiceKind> service_named(std::string_view name) {
    for (const auto k : {ServiceKind::echo, ServiceKind::discard, ServiceKind::http})
        if (to_string(k) == name) return k;
    return std::nullopt;
}

std::string_view to_string(ServiceKind k) {
    switch (k) {
    case ServiceKind::echo: return "echo";
    case ServiceKind::discard: return "discard";
    case ServiceKind::http: return "http";
    }
    return "?";
}

namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Whether a comma-separated header value lists `token`.
bool lists(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        if (iequal(trim(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

constexpr std::size_t k_max_head = 16384;
constexpr std::size_t k_max_body = 16u << 20;

} // namespace

std::optional<Result<HttpRequest>> parse_http_request(std::string_view buf) {
    const auto end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (buf.size() > k_max_head) return Result<HttpRequest>{Error::bad_length("HTTP request head over 16 KiB")};
        return std::nullopt;
    }
    HttpRequest r;
    r.head_length = end + 4;
    std::string_view head = buf.substr(0, end);
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return Result<HttpRequest>{Error::parse("HTTP request line '" + std::string{line} + "'")};
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    r.version = line.substr(sp2 + 1);
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0")
        return Result<HttpRequest>{Error::unsupported("HTTP version '" + r.version + "'")};
    r.keep_alive = r.version == "HTTP/1.1";
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    while (!head.empty()) {
        const auto next = head.find("\r\n");
        const std::string_view field = head.substr(0, next);
        head = next == std::string_view::npos ? std::string_view{} : head.substr(next + 2);
        const auto colon = field.find(':');
        if (colon == std::string_view::npos) return Result<HttpRequest>{Error::parse("HTTP header '" + std::string{field} + "'")};
        const std::string_view name = field.substr(0, colon);
        const std::string_view value = trim(field.substr(colon + 1));
        if (iequal(name, "connection")) {
            if (lists(value, "close")) r.keep_alive = false;
            else if (lists(value, "keep-alive")) r.keep_alive = true;
        } else if (iequal(name, "content-length")) {
            std::size_t n = 0;
            const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc{} || p != value.data() + value.size() || n > k_max_body)
                return Result<HttpRequest>{Error::bad_value("HTTP Content-Length '" + std::string{value} + "'")};
            r.content_length = n;
        }
    }
    return Result<HttpRequest>{std::move(r)};
}

Errno Service::listen(engine::Stack& stack, Instant now, const wire::Endpoint& local) {
    const auto l = stack.listen(now, local, 1024);
    if (!l.ok()) return l.error;
    listeners_.push_back(l.fd);
    on_call_("listen(" + local.to_string() + ") for " + std::string{to_string(kind_)});
    return Errno::none;
}

void Service::poll(engine::Stack& stack, Instant now) {
    for (const int l : listeners_) {
        for (;;) {
            const auto c = stack.accept(l);
            if (!c.ok()) break;
            ++accepted_;
            on_call_("accept() = " + std::to_string(c.fd));
            conns_.push_back(Conn{c.fd, {}, {}, false, false});
        }
    }
    std::erase_if(conns_, [&](Conn& c) {
        if (serve(stack, now, c)) return false;
        ++closed_;
        return true;
    });
}

bool Service::flush(engine::Stack& stack, Instant now, Conn& c) {
    while (!c.out.empty()) {
        const auto r = stack.send(now, c.fd, std::as_bytes(std::span{c.out.data(), c.out.size()}));
        if (!r.ok() && r.error != Errno::eagain) return false;
        if (r.bytes == 0) break;
        c.out.erase(0, r.bytes);
    }
    return true;
}

void Service::answer_http(Conn& c) {
    for (;;) {
        auto parsed = parse_http_request(c.in);
        if (!parsed) return;
        if (!*parsed) {
            const std::string body = parsed->error().message + "\n";
            c.out += "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body;
            c.in.clear();
            c.close_after = true;
            ++responses_;
            return;
        }
        const HttpRequest& req = parsed->value();
        if (c.in.size() < req.head_length + req.content_length) return;  // the body is still coming
        c.in.erase(0, req.head_length + req.content_length);
        // "/bytes/N" answers N bytes; anything else a line naming the request.
        std::string body;
        std::size_t n = 0;
        const std::string_view t = req.target;
        if (t.starts_with("/bytes/") && std::from_chars(t.data() + 7, t.data() + t.size(), n).ec == std::errc{} &&
            n <= k_max_body)
            body.assign(n, 'x');
        else
            body = "teardown lab: " + req.method + " " + req.target + " answered by teardown's TCP engine\n";
        if (req.method == "HEAD") body.clear();
        c.out += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: " + (req.keep_alive ? "keep-alive" : "close") + "\r\n\r\n" + body;
        ++responses_;
        if (!req.keep_alive) {
            c.close_after = true;
            c.in.clear();
            return;
        }
    }
}

bool Service::serve(engine::Stack& stack, Instant now, Conn& c) {
    std::array<std::byte, 16384> buf{};
    while (!c.peer_done && !c.close_after) {
        const auto r = stack.recv(c.fd, buf);
        if (r.error == Errno::eagain) break;
        if (!r.ok()) {
            // Reset or timed out: the descriptor is all that is left to free.
            on_call_("recv() = " + std::string{engine::to_string(r.error)} + "; close()");
            (void)stack.close(now, c.fd);
            return false;
        }
        if (r.bytes == 0) {
            c.peer_done = true;
            break;
        }
        switch (kind_) {
        case ServiceKind::echo: c.out.append(reinterpret_cast<const char*>(buf.data()), r.bytes); break;
        case ServiceKind::discard: break;
        case ServiceKind::http:
            c.in.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
            answer_http(c);
            break;
        }
    }
    if (!flush(stack, now, c)) {
        on_call_("send() failed; close()");
        (void)stack.close(now, c.fd);
        return false;
    }
    // Close once everything is answered and the peer is done, or the response says so.
    if (c.out.empty() && (c.peer_done || c.close_after)) {
        on_call_("close(" + std::to_string(c.fd) + ")");
        (void)stack.close(now, c.fd);
        return false;
    }
    return true;
}

} // namespace teardown::lab
