#include "wire/ipv4.hpp"

#include <string>

#include "wire/checksum.hpp"

namespace teardown::wire {

Error Ipv4View::diagnose(std::span<const std::byte> captured, std::size_t on_wire) {
    if (captured.size() < k_min_header)
        return Error::truncated("ipv4: header needs 20 bytes, " + std::to_string(captured.size()) + " captured");
    const unsigned version = std::to_integer<unsigned>(captured[0]) >> 4;
    if (version != 4) return Error::bad_value("ipv4: version field is " + std::to_string(version));
    const std::size_t header_len = (std::to_integer<std::size_t>(captured[0]) & 0x0F) * 4;
    if (header_len < k_min_header)
        return Error::bad_value("ipv4: header length field " + std::to_string(header_len / 4) + " is below 5");
    if (captured.size() < header_len)
        return Error::truncated("ipv4: header length " + std::to_string(header_len) + " exceeds the " +
                                std::to_string(captured.size()) + " captured bytes");
    const std::size_t total = load_be16(captured.data() + 2);
    if (total < header_len)
        return Error::bad_length("ipv4: total length " + std::to_string(total) + " is below the header length " +
                                 std::to_string(header_len));
    return Error::bad_length("ipv4: total length " + std::to_string(total) + " exceeds the " +
                             std::to_string(on_wire) + " bytes of the packet");
}

bool Ipv4View::header_checksum_valid() const {
    // RFC 1071: summing a header that includes its checksum gives 0 after complement.
    return internet_checksum(header()) == 0;
}

} // namespace teardown::wire
