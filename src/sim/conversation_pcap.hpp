#pragma once
// Writes conversations' segments, merged in time order, as a capture taken at
// a point every segment crossed (so lost segments appear: they were lost
// further on).
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sim/conversation.hpp"
#include "wire/link_type.hpp"

namespace teardown::sim {

Result<std::size_t> write_pcap(const std::vector<const Conversation*>& conversations, const std::string& path,
                               wire::LinkType link = wire::LinkType::ethernet);

} // namespace teardown::sim
