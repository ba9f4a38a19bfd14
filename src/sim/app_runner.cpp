#include "sim/app_runner.hpp"

#include <algorithm>
#include <array>

namespace teardown::sim {

using engine::Errno;

void AppRunner::saw_error(AppHost& host, Errno e, const std::string& during) {
    if (e == Errno::none) return;
    last_error_ = e;
    host.on_note(during + ": " + std::string{engine::to_string(e)});
}

HostResult host_result(const engine::Stack& stack, const AppRunner& app) {
    HostResult r;
    const bool down = app.down();
    r.endpoints_left = down ? 0 : stack.connections() + stack.time_wait_entries();
    r.time_wait_left = down ? 0 : stack.time_wait_entries();
    r.timers_left = down ? 0 : stack.timers();
    r.mib = stack.mib();
    r.app_finished = app.finished();
    r.steps_done = app.steps_done();
    r.bytes_sent = app.bytes_sent();
    r.bytes_read = app.bytes_read();
    r.last_error = app.last_error();
    return r;
}

void AppRunner::run(AppHost& host) {
    const auto& steps = *steps_;
    for (int guard = 0; guard < 1'000'000; ++guard) {
        if (silent_ || step_ >= steps.size()) return;
        if (down_ && steps[step_].op != AppStep::Op::wait && steps[step_].op != AppStep::Op::reboot) return;
        if (!step(host, steps[step_])) return;
        ++step_;
        progress_ = 0;
        waiting_ = false;
        step_started_ = Instant::never();
    }
}

bool AppRunner::step(AppHost& host, const AppStep& st) {
    engine::Stack& stack = host.stack();
    const Instant now = host.now();
    const bool first = !waiting_;
    waiting_ = true;
    if (first) step_started_ = now;
    switch (st.op) {
    case AppStep::Op::listen: {
        host.on_call("listen(" + std::to_string(st.port) + ")");
        const auto l = stack.listen(now, {host.self(), st.port}, static_cast<int>(st.count));
        host.collect();
        if (!l.ok()) saw_error(host, l.error, "listen");
        else listener_ = l.fd;
        return true;
    }
    case AppStep::Op::accept: {
        const auto c = stack.accept(listener_);
        if (c.error == Errno::eagain) return false;
        if (!c.ok()) {
            saw_error(host, c.error, "accept");
            return true;
        }
        fd_ = c.fd;
        host.on_call("accept() = " + std::to_string(c.fd));
        return true;
    }
    case AppStep::Op::connect: {
        if (first) {
            const auto peer = host.address_of(st.host);
            if (!peer) {
                host.on_note("connect: no host '" + st.host + "'");
                last_error_ = Errno::einval;
                fd_ = -1;
                return true;
            }
            const wire::Endpoint remote{*peer, st.port};
            host.on_call("connect(" + remote.to_string() + ")");
            const auto c = stack.connect(now, {host.self(), st.from_port}, remote);
            host.collect();
            if (!c.ok()) {
                saw_error(host, c.error, "connect");
                fd_ = -1;
                return true;
            }
            fd_ = c.fd;
        }
        const auto s = stack.state(fd_);
        if (s == TcpState::established || s == TcpState::close_wait) return true;
        if (s == TcpState::closed || !s) {
            saw_error(host, stack.socket_error(fd_), "connect");
            return true;
        }
        return false;
    }
    case AppStep::Op::send: {
        if (first) host.on_call("send(" + std::to_string(st.count) + " bytes)");
        while (progress_ < st.count) {
            std::array<std::byte, 16384> buf{};
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st.count - progress_));
            for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<std::byte>((progress_ + i) % 251);
            const auto r = stack.send(now, fd_, std::span{buf.data(), n});
            host.collect();
            if (!r.ok() && r.error != Errno::eagain) {
                saw_error(host, r.error, "send");
                return true;
            }
            if (r.bytes == 0) return false;
            progress_ += r.bytes;
            bytes_sent_ += r.bytes;
        }
        return true;
    }
    case AppStep::Op::read:
    case AppStep::Op::read_eof: {
        const bool to_eof = st.op == AppStep::Op::read_eof;
        for (;;) {
            if (!to_eof && progress_ >= st.count) return true;
            std::array<std::byte, 16384> buf{};
            const std::size_t want =
                to_eof ? buf.size() : static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st.count - progress_));
            const auto r = stack.recv(fd_, std::span{buf.data(), want});
            host.collect();
            if (r.error == Errno::eagain) return false;
            if (!r.ok()) {
                saw_error(host, r.error, "read");
                return true;
            }
            if (r.bytes == 0) {
                host.on_call("read() = 0 (the peer's FIN)");
                return true;
            }
            progress_ += r.bytes;
            bytes_read_ += r.bytes;
        }
    }
    case AppStep::Op::shutdown: {
        host.on_closing();
        host.on_call("shutdown(SHUT_WR)");
        const Errno e = stack.shutdown(now, fd_, engine::ShutdownHow::write);
        host.collect();
        saw_error(host, e, "shutdown");
        return true;
    }
    case AppStep::Op::close: {
        host.on_closing();
        host.on_call("close()");
        const Errno e = stack.close(now, fd_);
        host.collect();
        saw_error(host, e, "close");
        return true;
    }
    case AppStep::Op::abort: {
        host.on_closing();
        host.on_call("close() with SO_LINGER {1, 0}");
        stack.set_linger(fd_, true, 0);
        const Errno e = stack.close(now, fd_);
        host.collect();
        saw_error(host, e, "close");
        return true;
    }
    case AppStep::Op::wait:
        if (now >= step_started_ + st.duration) return true;
        if (first) host.wake_at(step_started_ + st.duration);
        return false;
    case AppStep::Op::crash:
        host.on_closing();
        host.on_note("the host crashes: its connections are gone without a word");
        host.crash();
        down_ = true;
        fd_ = -1;
        listener_ = -1;
        return true;
    case AppStep::Op::reboot:
        host.on_note("the host is up again, knowing no connection");
        down_ = false;
        return true;
    case AppStep::Op::vanish:
        host.on_closing();
        host.on_note("the host is cut off the network for good");
        host.vanish();
        return true;
    case AppStep::Op::silent:
        host.on_note("the application goes silent: it will never read or close again");
        silent_ = true;
        return true;
    case AppStep::Op::flood: {
        const auto target = host.address_of(st.host);
        if (!target) {
            host.on_note("flood: no host '" + st.host + "'");
            return true;
        }
        if (first)
            host.on_note("floods " + std::to_string(st.count) + (st.flood_acks ? " blind ACKs" : " SYNs") +
                         " with forged sources at " + st.host + ":" + std::to_string(st.port));
        else if (now < next_due_) return false;
        // One SYN every 100 us from a TEST-NET-3 address (RFC 5737), none of which answers.
        engine::Segment syn;  // or a blind ACK guessing at a SYN cookie
        const std::uint64_t r = host.draw();
        const std::array<std::uint8_t, 4> src{203, 0, 113, static_cast<std::uint8_t>(1 + r % 254)};
        syn.src = wire::IpAddress::v4(reinterpret_cast<const std::byte*>(src.data()));
        syn.dst = *target;
        syn.tcp.src_port = static_cast<std::uint16_t>(1024 + (r >> 8) % 64000);
        syn.tcp.dst_port = st.port;
        syn.tcp.seq = SeqNum{static_cast<std::uint32_t>(r >> 32)};
        syn.tcp.window = 64240;
        if (st.flood_acks) {
            syn.tcp.flags = wire::TcpFlags{wire::TcpFlags::ack};
            syn.tcp.ack = SeqNum{static_cast<std::uint32_t>(host.draw())};
        } else {
            syn.tcp.flags = wire::TcpFlags{wire::TcpFlags::syn};
            syn.tcp.options.mss = 1460;
        }
        host.send_forged(std::move(syn));
        if (++progress_ >= st.count) return true;
        next_due_ = now + Duration::micros(100);
        host.wake_at(next_due_);
        return false;
    }
    }
    return true;
}

} // namespace teardown::sim
