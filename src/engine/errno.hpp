#pragma once
// The errors an application sees from the engine, as a socket shows them:
// Linux's numbers and names, so scripts written for real stacks compare.
#include <optional>
#include <string_view>

namespace teardown::engine {

enum class Errno : int {
    none = 0,
    ebadf = 9,
    eagain = 11,
    einval = 22,
    epipe = 32,
    eaddrinuse = 98,
    econnreset = 104,
    eisconn = 106,
    enotconn = 107,
    etimedout = 110,
    econnrefused = 111,
    ealready = 114,
    einprogress = 115,
};

constexpr std::string_view to_string(Errno e) {
    switch (e) {
    case Errno::none: return "0";
    case Errno::ebadf: return "EBADF";
    case Errno::eagain: return "EAGAIN";
    case Errno::einval: return "EINVAL";
    case Errno::epipe: return "EPIPE";
    case Errno::eaddrinuse: return "EADDRINUSE";
    case Errno::econnreset: return "ECONNRESET";
    case Errno::eisconn: return "EISCONN";
    case Errno::enotconn: return "ENOTCONN";
    case Errno::etimedout: return "ETIMEDOUT";
    case Errno::econnrefused: return "ECONNREFUSED";
    case Errno::ealready: return "EALREADY";
    case Errno::einprogress: return "EINPROGRESS";
    }
    return "?";
}

// The error named `name` ("ECONNRESET"), if it is one of the above.
constexpr std::optional<Errno> errno_named(std::string_view name) {
    for (int n = 1; n < 134; ++n)  // Linux's errno numbers end at 133
        if (to_string(static_cast<Errno>(n)) == name) return static_cast<Errno>(n);
    return std::nullopt;
}

} // namespace teardown::engine
