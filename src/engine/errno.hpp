#pragma once
// The errors an application sees from the engine, as a socket shows them:
// Linux's numbers and names, so scripts written for real stacks compare.
#include <array>
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

// Every error above but none, to look one up by its name.
inline constexpr std::array k_errnos{
    Errno::ebadf,     Errno::eagain,       Errno::einval,   Errno::epipe,    Errno::eaddrinuse, Errno::econnreset,
    Errno::eisconn,   Errno::enotconn,     Errno::etimedout, Errno::econnrefused, Errno::ealready, Errno::einprogress,
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

} // namespace teardown::engine
