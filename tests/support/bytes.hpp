#pragma once
// Bytes written out in a test as small integers.
#include <cstddef>
#include <initializer_list>
#include <vector>

namespace teardown::test {

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int b : values) out.push_back(std::byte(static_cast<unsigned char>(b)));
    return out;
}

} // namespace teardown::test
