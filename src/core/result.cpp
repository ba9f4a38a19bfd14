#include "core/result.hpp"

namespace teardown {

const char* to_string(ErrorCode c) {
    switch (c) {
    case ErrorCode::truncated: return "truncated";
    case ErrorCode::bad_length: return "bad_length";
    case ErrorCode::bad_value: return "bad_value";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::io: return "io";
    case ErrorCode::parse: return "parse";
    case ErrorCode::state: return "state";
    }
    return "unknown";
}

} // namespace teardown
