#pragma once
// g++ 12 has no std::expected: one small Result<T> carries a value or an Error
// across the whole code base. Exceptions stay at the CLI edge.
#include <cassert>
#include <string>
#include <utility>
#include <memory>
#include <optional>

namespace teardown {

enum class ErrorCode {
    truncated,        // input ended before a field it declares
    bad_length,       // a length field contradicts the bytes or the format
    bad_value,        // a field holds a value the format forbids
    unsupported,      // well-formed, but a variant we do not decode
    io,               // the operating system refused (open, read, mmap, ...)
    parse,            // text input (scripts, scenarios, filters) is malformed
    state,            // the call is not valid in the current state
};

const char* to_string(ErrorCode c);

struct Error {
    ErrorCode code{ErrorCode::bad_value};
    std::string message;  // one line, naming the file, offset or field

    static Error truncated(std::string m) { return {ErrorCode::truncated, std::move(m)}; }
    static Error bad_length(std::string m) { return {ErrorCode::bad_length, std::move(m)}; }
    static Error bad_value(std::string m) { return {ErrorCode::bad_value, std::move(m)}; }
    static Error unsupported(std::string m) { return {ErrorCode::unsupported, std::move(m)}; }
    static Error io(std::string m) { return {ErrorCode::io, std::move(m)}; }
    static Error parse(std::string m) { return {ErrorCode::parse, std::move(m)}; }
    static Error state(std::string m) { return {ErrorCode::state, std::move(m)}; }
};

// The error lives behind a pointer so that the common case, a value, costs
// no more than the value itself: parsers return millions of these a second.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_{std::move(value)} {}
    Result(Error error) : error_{std::make_unique<Error>(std::move(error))} {}

    bool ok() const { return error_ == nullptr; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return *value_; }
    const T& value() const& { assert(ok()); return *value_; }
    T&& value() && { assert(ok()); return std::move(*value_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { assert(!ok()); return *error_; }

private:
    std::optional<T> value_;
    std::unique_ptr<Error> error_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_{std::move(error)}, ok_{false} {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { assert(!ok_); return error_; }

private:
    Error error_{};
    bool ok_{true};
};

} // namespace teardown
