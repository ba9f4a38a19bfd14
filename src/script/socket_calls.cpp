// The system calls of a script, played against the engine's socket-like API
// with Linux's return values and errnos. Descriptors are numbered as a
// process's would be (the lowest free from 3); blocking calls wait in
// virtual time until the engine lets them finish.
#include <algorithm>
#include <charconv>

#include "script/run.hpp"
#include "script/symbols.hpp"

namespace teardown::script {

using engine::Errno;

namespace {

std::string result_text(const CallResult& r) {
    if (r.error != Errno::none) return "-1 " + std::string{engine::to_string(r.error)};
    return std::to_string(r.value);
}

std::string expected_text(const CallLine& line) {
    if (line.result_any) return "...";
    std::string s = std::to_string(line.result);
    if (line.errno_name) s += " " + *line.errno_name;
    return s;
}

} // namespace

int Run::new_descriptor() {
    int fd = 3;
    while (sockets_.count(fd)) ++fd;
    return fd;
}

std::optional<std::int64_t> Run::value_of(const CallLine& line, const Argument& a) {
    switch (a.kind) {
    case Argument::Kind::integer: return a.integer;
    case Argument::Kind::name:
        if (auto v = symbol_value(a.text)) return v;
        fail(line.where, line.name + "(): unknown name " + a.text);
        return std::nullopt;
    case Argument::Kind::expression: {
        // NAME|NAME|number
        std::int64_t v = 0;
        std::string_view rest = a.text;
        while (!rest.empty()) {
            const auto bar = rest.find('|');
            std::string part{rest.substr(0, bar)};
            part.erase(std::remove(part.begin(), part.end(), ' '), part.end());
            rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
            if (auto s = symbol_value(part)) {
                v |= *s;
                continue;
            }
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
            if (ec == std::errc::result_out_of_range) {
                fail(line.where, line.name + "(): " + part + " is not a number that fits in 64 bits");
                return std::nullopt;
            }
            if (part.empty() || ec != std::errc{} || end != part.data() + part.size()) {
                fail(line.where, line.name + "(): unknown name " + part);
                return std::nullopt;
            }
            v |= n;
        }
        return v;
    }
    case Argument::Kind::array:
        if (!a.items.empty()) return value_of(line, a.items.front());
        break;
    case Argument::Kind::elided:
    case Argument::Kind::structure:
    case Argument::Kind::string:
        break;
    }
    fail(line.where, line.name + "(): expected a number or a name where the script has '" +
                         (a.kind == Argument::Kind::elided ? std::string{"..."} : a.text) + "'");
    return std::nullopt;
}

std::optional<std::int64_t> Run::integer(const CallLine& line, std::size_t arg) {
    if (arg >= line.args.size()) {
        fail(line.where, line.name + "() needs at least " + std::to_string(arg + 1) + " arguments");
        return std::nullopt;
    }
    return value_of(line, line.args[arg]);
}

ScriptSocket* Run::socket_of(const CallLine& line) {
    const auto fd = integer(line, 0);
    if (!fd) return nullptr;
    auto it = sockets_.find(static_cast<int>(*fd));
    return it == sockets_.end() ? nullptr : &it->second;
}

std::optional<CallResult> Run::do_accept(ScriptSocket& s) {
    if (!s.listener) return CallResult::fail(Errno::einval);
    const engine::Opened o = stack().accept(s.engine_fd);
    if (o.error == Errno::eagain) return s.nonblocking ? CallResult::fail(Errno::eagain) : CallResult::wait();
    if (!o.ok()) return CallResult::fail(o.error);
    // The accepted socket inherits the listener's options, as Linux's does.
    ScriptSocket accepted;
    accepted.engine_fd = o.fd;
    accepted.config = s.config;
    accepted.linger_on = s.linger_on;
    accepted.linger_seconds = s.linger_seconds;
    stack().set_linger(o.fd, s.linger_on, s.linger_seconds);
    const int fd = new_descriptor();
    sockets_[fd] = accepted;
    current_ = stack().tuple(o.fd);
    return CallResult::ok(fd);
}

std::optional<CallResult> Run::do_connect(ScriptSocket& s, Blocked* resumed) {
    if (s.engine_fd >= 0) {
        const auto state = stack().state(s.engine_fd);
        if (!state || *state == TcpState::closed) {
            s.connecting = false;
            const Errno e = stack().socket_error(s.engine_fd);
            return CallResult::fail(e == Errno::none ? Errno::econnrefused : e);
        }
        if (!s.connecting) return resumed ? CallResult::ok(0) : CallResult::fail(Errno::eisconn);
        if (is_synchronized(*state)) {
            s.connecting = false;  // the first connect() after it completed reports success
            return CallResult::ok(0);
        }
        return resumed ? CallResult::wait() : CallResult::fail(Errno::ealready);
    }
    const wire::Endpoint local = s.bound.value_or(wire::Endpoint{local_addr_, 0});
    const engine::Opened o = stack().connect(now_, local, wire::Endpoint{remote_addr_, k_connect_port}, s.config);
    if (!o.ok()) return CallResult::fail(o.error);
    s.engine_fd = o.fd;
    s.connecting = true;
    stack().set_linger(o.fd, s.linger_on, s.linger_seconds);
    current_ = stack().tuple(o.fd);
    current_connected_ = false;
    collect();
    if (s.nonblocking) return CallResult::fail(Errno::einprogress);
    return CallResult::wait();
}

std::optional<CallResult> Run::do_read(const CallLine& line, ScriptSocket& s) {
    const auto len = integer(line, 2);
    if (!len) return std::nullopt;
    bool dont_wait = s.nonblocking;
    if (line.name == "recv" && line.args.size() > 3) {
        const auto flags = integer(line, 3);
        if (!flags) return std::nullopt;
        dont_wait = dont_wait || (*flags & 0x40);  // MSG_DONTWAIT
    }
    if (s.engine_fd < 0) return CallResult::fail(Errno::enotconn);
    std::vector<std::byte> buf(static_cast<std::size_t>(std::max<std::int64_t>(*len, 0)));
    const engine::Io io = stack().recv(s.engine_fd, buf);
    collect();
    if (io.error == Errno::eagain) return dont_wait ? CallResult::fail(Errno::eagain) : CallResult::wait();
    if (!io.ok()) return CallResult::fail(io.error);
    return CallResult::ok(static_cast<std::int64_t>(io.bytes));
}

// A blocking write hands over every byte before it returns; a non-blocking
// one takes what fits. CallResult::value of a waiting write is what is left.
std::optional<CallResult> Run::do_write(const CallLine& line, ScriptSocket& s, Blocked* resumed) {
    const auto len = integer(line, 2);
    if (!len) return std::nullopt;
    if (s.engine_fd < 0) return CallResult::fail(Errno::epipe);
    const std::int64_t left = resumed ? resumed->remaining : *len;
    const std::vector<std::byte> zeros(static_cast<std::size_t>(std::max<std::int64_t>(left, 0)));
    const engine::Io io = stack().send(now_, s.engine_fd, zeros);
    collect();
    const auto written = static_cast<std::int64_t>(io.bytes);
    const std::int64_t done = *len - left + written;
    if (!io.ok() && io.error != Errno::eagain) return done > 0 ? CallResult::ok(done) : CallResult::fail(io.error);
    if (written == left) return CallResult::ok(*len);
    if (s.nonblocking) return done > 0 ? CallResult::ok(done) : CallResult::fail(Errno::eagain);
    CallResult wait = CallResult::wait();
    wait.value = left - written;
    return wait;
}

std::optional<CallResult> Run::set_option(const CallLine& line, ScriptSocket& s) {
    const auto level = integer(line, 1);
    const auto name = level ? integer(line, 2) : std::nullopt;
    if (!name) return std::nullopt;
    if (line.args.size() < 4) {
        fail(line.where, "setsockopt() needs a value");
        return std::nullopt;
    }
    const Argument& value = line.args[3];
    engine::Config& c = s.config;
    if (*level == sym::sol_socket && *name == sym::so_linger) {
        if (value.kind != Argument::Kind::structure) {
            fail(line.where, "SO_LINGER takes {onoff=N, linger=N}");
            return std::nullopt;
        }
        for (std::size_t i = 0; i < value.field_names.size(); ++i) {
            const auto v = value_of(line, value.field_values[i]);
            if (!v) return std::nullopt;
            if (value.field_names[i] == "onoff" || value.field_names[i] == "l_onoff") s.linger_on = *v != 0;
            if (value.field_names[i] == "linger" || value.field_names[i] == "l_linger") s.linger_seconds = static_cast<int>(*v);
        }
        if (s.engine_fd >= 0) stack().set_linger(s.engine_fd, s.linger_on, s.linger_seconds);
        return CallResult::ok(0);
    }
    const auto v = value_of(line, value);
    if (!v) return std::nullopt;
    if (*v < 0 && !(*level == sym::sol_tcp && *name == sym::tcp_linger2)) return CallResult::fail(Errno::einval);
    const auto u = static_cast<std::uint32_t>(*v);
    if (*level == sym::sol_socket) {
        switch (*name) {
        case sym::so_reuseaddr: s.reuse_address = *v != 0; return CallResult::ok(0);
        case sym::so_rcvbuf: c.receive_buffer = std::max<std::uint32_t>(u, 2 * c.mss); break;
        case sym::so_sndbuf: c.send_buffer = std::max<std::uint32_t>(u, 2 * c.mss); break;
        case sym::so_keepalive: c.keepalive = *v != 0; break;
        default:
            fail(line.where, "setsockopt(): SOL_SOCKET option " + std::to_string(*name) + " is not one the runner plays");
            return std::nullopt;
        }
    } else if (*level == sym::sol_tcp) {
        switch (*name) {
        case sym::tcp_nodelay: c.nagle = *v == 0; break;
        case sym::tcp_keepidle:
            if (*v < 1) return CallResult::fail(Errno::einval);
            c.keep_idle = Duration::seconds(*v);
            break;
        case sym::tcp_keepintvl:
            if (*v < 1) return CallResult::fail(Errno::einval);
            c.keep_interval = Duration::seconds(*v);
            break;
        case sym::tcp_keepcnt:
            if (*v < 1) return CallResult::fail(Errno::einval);
            c.keep_count = u;
            break;
        case sym::tcp_user_timeout: c.user_timeout = Duration::millis(*v); break;
        // Linux: a positive TCP_LINGER2 is the orphan's FIN-WAIT-2 time, zero the
        // sysctl's, and a negative one no FIN-WAIT-2 at all for an orphan.
        case sym::tcp_linger2:
            c.fin_wait_2_timeout = *v > 0   ? Duration::seconds(*v)
                                   : *v < 0 ? Duration::seconds(-1)
                                            : base_.fin_wait_2_timeout;
            break;
        default:
            fail(line.where, "setsockopt(): SOL_TCP option " + std::to_string(*name) + " is not one the runner plays");
            return std::nullopt;
        }
    } else {
        fail(line.where, "setsockopt(): level " + std::to_string(*level) + " is not one the runner plays");
        return std::nullopt;
    }
    if (s.engine_fd >= 0) {
        stack().reconfigure(now_, s.engine_fd, c);
        collect();
    }
    return CallResult::ok(0);
}

std::optional<CallResult> Run::get_option(const CallLine& line, ScriptSocket& s) {
    const auto level = integer(line, 1);
    const auto name = level ? integer(line, 2) : std::nullopt;
    if (!name) return std::nullopt;
    const engine::Config& c = s.config;
    std::int64_t got = 0;
    std::string what;
    if (*level == sym::sol_socket) {
        switch (*name) {
        case sym::so_error:
            got = s.engine_fd >= 0 ? static_cast<std::int64_t>(stack().socket_error(s.engine_fd)) : 0;
            what = "SO_ERROR";
            break;
        case sym::so_reuseaddr: got = s.reuse_address; what = "SO_REUSEADDR"; break;
        case sym::so_rcvbuf: got = c.receive_buffer; what = "SO_RCVBUF"; break;
        case sym::so_sndbuf: got = c.send_buffer; what = "SO_SNDBUF"; break;
        case sym::so_keepalive: got = c.keepalive; what = "SO_KEEPALIVE"; break;
        default: break;
        }
    } else if (*level == sym::sol_tcp) {
        switch (*name) {
        case sym::tcp_nodelay: got = !c.nagle; what = "TCP_NODELAY"; break;
        case sym::tcp_keepidle: got = c.keep_idle.count_nanos() / 1'000'000'000; what = "TCP_KEEPIDLE"; break;
        case sym::tcp_keepintvl: got = c.keep_interval.count_nanos() / 1'000'000'000; what = "TCP_KEEPINTVL"; break;
        case sym::tcp_keepcnt: got = c.keep_count; what = "TCP_KEEPCNT"; break;
        case sym::tcp_user_timeout: got = c.user_timeout.count_nanos() / 1'000'000; what = "TCP_USER_TIMEOUT"; break;
        case sym::tcp_linger2: got = c.fin_wait_2_timeout.count_nanos() / 1'000'000'000; what = "TCP_LINGER2"; break;
        default: break;
        }
    }
    if (what.empty()) {
        fail(line.where, "getsockopt(): option " + std::to_string(*name) + " at level " + std::to_string(*level) +
                             " is not one the runner plays");
        return std::nullopt;
    }
    if (line.args.size() > 3 && line.args[3].kind != Argument::Kind::elided) {
        const auto want = value_of(line, line.args[3]);
        if (!want) return std::nullopt;
        if (*want != got) {
            const auto shown = [&](std::int64_t v) {
                if (*name == sym::so_error && *level == sym::sol_socket && v != 0)
                    return std::string{engine::to_string(static_cast<Errno>(v))};
                return std::to_string(v);
            };
            fail(line.where, "getsockopt(" + what + ") gave " + shown(got) + ", the script expects " + shown(*want));
            return std::nullopt;
        }
    }
    return CallResult::ok(0);
}

std::optional<CallResult> Run::execute(const CallLine& line, Blocked* resumed) {
    const std::string& n = line.name;
    static constexpr std::string_view k_played[]{"socket", "bind", "listen", "accept", "accept4", "connect",
                                                 "read", "recv", "recvfrom", "write", "send", "sendto", "fcntl",
                                                 "shutdown", "close", "setsockopt", "getsockopt"};
    if (std::find(std::begin(k_played), std::end(k_played), n) == std::end(k_played)) {
        fail(line.where, "the runner does not play " + n + "()");
        return std::nullopt;
    }
    if (n == "socket") {
        ScriptSocket s;
        s.config = base_;
        const int fd = new_descriptor();
        sockets_[fd] = s;
        return CallResult::ok(fd);
    }
    ScriptSocket* s = socket_of(line);
    if (!s) {
        if (failure_) return std::nullopt;
        return CallResult::fail(Errno::ebadf);
    }
    if (n == "bind") {
        const wire::Endpoint ep{local_addr_, k_bind_port};
        if (stack().listening_on(ep) || (stack().local_in_use(ep) && !s->reuse_address))
            return CallResult::fail(Errno::eaddrinuse);
        s->bound = ep;
        return CallResult::ok(0);
    }
    if (n == "listen") {
        const auto backlog = integer(line, 1);
        if (!backlog) return std::nullopt;
        if (!s->bound) s->bound = wire::Endpoint{local_addr_, k_bind_port};
        const engine::Opened o = stack().listen(now_, *s->bound, static_cast<int>(*backlog), s->config);
        if (!o.ok()) return CallResult::fail(o.error);
        s->engine_fd = o.fd;
        s->listener = true;
        current_ = wire::FourTuple{*s->bound, {remote_addr_, k_remote_port}};
        current_connected_ = false;
        collect();
        return CallResult::ok(0);
    }
    if (n == "accept" || n == "accept4") return do_accept(*s);
    if (n == "connect") return do_connect(*s, resumed);
    if (n == "read" || n == "recv" || n == "recvfrom") return do_read(line, *s);
    if (n == "write" || n == "send" || n == "sendto") return do_write(line, *s, resumed);
    if (n == "fcntl") {
        const auto cmd = integer(line, 1);
        if (!cmd) return std::nullopt;
        if (*cmd == sym::f_getfl) return CallResult::ok(sym::o_rdwr | (s->nonblocking ? sym::o_nonblock : 0));
        if (*cmd == sym::f_setfl) {
            const auto flags = integer(line, 2);
            if (!flags) return std::nullopt;
            s->nonblocking = (*flags & sym::o_nonblock) != 0;
            return CallResult::ok(0);
        }
        fail(line.where, "fcntl(): only F_GETFL and F_SETFL are played");
        return std::nullopt;
    }
    if (n == "shutdown") {
        const auto how = integer(line, 1);
        if (!how) return std::nullopt;
        if (*how < sym::shut_rd || *how > sym::shut_rdwr) return CallResult::fail(Errno::einval);
        if (s->engine_fd < 0 || s->listener) return CallResult::fail(Errno::enotconn);
        const auto st = stack().state(s->engine_fd);
        if (!st || *st == TcpState::syn_sent) return CallResult::fail(Errno::enotconn);
        const auto way = *how == sym::shut_rd ? engine::ShutdownHow::read
                         : *how == sym::shut_wr ? engine::ShutdownHow::write
                                                : engine::ShutdownHow::both;
        const Errno e = stack().shutdown(now_, s->engine_fd, way);
        collect();
        return e == Errno::none ? CallResult::ok(0) : CallResult::fail(e);
    }
    if (n == "close") {
        if (s->engine_fd >= 0) stack().close(now_, s->engine_fd);
        collect();
        sockets_.erase(static_cast<int>(*integer(line, 0)));
        return CallResult::ok(0);
    }
    if (n == "setsockopt") return set_option(line, *s);
    return get_option(line, *s);
}

bool Run::check_result(const CallLine& line, const CallResult& r) {
    if (line.result_any) return true;
    bool same = r.error == Errno::none ? !line.errno_name && line.result == r.value
                                       : line.result == -1 && (!line.errno_name || *line.errno_name == engine::to_string(r.error));
    if (!same && line.errno_name && r.error != Errno::none) {
        // EWOULDBLOCK is EAGAIN.
        const auto e = errno_named(*line.errno_name);
        same = line.result == -1 && e && *e == r.error;
    }
    if (same) return true;
    return fail(line.where, line.name + "() returned " + result_text(r) + ", the script expects " + expected_text(line));
}

bool Run::call(const CallLine& line, std::int64_t t_us) {
    if (blocked_) {
        return fail(line.where, line.name + "() is called while " + blocked_->line->name + "() on line " +
                                    std::to_string(blocked_->line->where.line) + " still blocks");
    }
    if (!advance_to(Instant::from_micros(t_us), line.where)) return false;
    const auto r = execute(line, nullptr);
    if (!r) return false;
    if (r->blocks) {
        blocked_ = Blocked{&line, t_us, r->value};
        log(line.where, line.name + "() blocks");
        return true;
    }
    if (line.time.blocking_end) {
        const std::int64_t end = line.time.kind == Time::Kind::relative ? last_us_ + *line.time.blocking_end
                                                                          : *line.time.blocking_end;
        if (end - t_us > script_.tolerance_usecs)
            return fail(line.where, line.name + "() returned at once, the script expects it to block until " + seconds_text(end));
    }
    log(line.where, line.name + "() = " + result_text(*r));
    return check_result(line, *r);
}

// A blocked call tries again whenever the engine has moved; when it returns,
// its time must match the end the script gave it.
bool Run::retry_blocked() {
    if (!blocked_) return true;
    Blocked b = *blocked_;
    const auto r = execute(*b.line, &b);
    if (!r) return false;
    if (r->blocks) {
        blocked_->remaining = r->value;
        return true;
    }
    blocked_.reset();
    const CallLine& line = *b.line;
    std::int64_t end = b.start_us;
    if (line.time.blocking_end) {
        // A relative "+a...b" counts b from the same base as a.
        end = line.time.kind == Time::Kind::relative ? b.start_us - line.time.usecs + *line.time.blocking_end
                                                     : *line.time.blocking_end;
    }
    const std::int64_t now_us = now_.nanos() / 1000;
    if (std::abs(now_us - end) > script_.tolerance_usecs) {
        return fail(line.where, line.name + "() returned " + result_text(*r) + " at " + seconds_text(now_us) +
                                    ", the script expects it to return at " + seconds_text(end));
    }
    log(line.where, line.name + "() = " + result_text(*r) + " after blocking");
    return check_result(line, *r);
}

// At the end of the script a blocked call still gets its chance: the engine's
// timers run until it returns or nothing is left to happen.
bool Run::finish_blocked() {
    while (blocked_) {
        if (!fire_next_timer()) {
            return fail(blocked_->line->where, blocked_->line->name + "() blocks for ever: nothing the script or the "
                                                                      "engine does would let it return");
        }
        if (!retry_blocked()) return false;
    }
    return true;
}

} // namespace teardown::script
