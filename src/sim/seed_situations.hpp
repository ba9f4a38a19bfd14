#pragma once
// The seed's closing situations (shared/seed/tcp-4way-handshake.en.md) as
// hand-scripted conversations, one client port each, so that one capture holds
// them all side by side. The demo walks through them; tests use them as
// captures with known contents.
#include <string>
#include <vector>

#include "sim/conversation.hpp"

namespace teardown::sim {

struct SeedSituation {
    std::string name;         // snake_case, e.g. "four_way_close_by_client"
    std::string seed_section; // e.g. "§2"
    std::string summary;      // one line in the seed's words
    Conversation conversation;
};

enum class AddressFamily { v4, v6 };

// Every situation, starting at `start`, each three seconds after the previous.
std::vector<SeedSituation> seed_situations(AddressFamily family = AddressFamily::v4,
                                           Instant start = Instant::from_seconds(1'700'000'000));

} // namespace teardown::sim
