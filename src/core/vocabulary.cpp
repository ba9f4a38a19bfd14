#include "core/vocabulary.hpp"

namespace teardown {

std::string AnomalySet::to_string(char sep) const {
    std::string out;
    append_to(out, sep);
    return out;
}

void AnomalySet::append_to(std::string& out, char sep) const {
    bool first = true;
    for_each([&](Anomaly a) {
        if (!first) out += sep;
        first = false;
        out += teardown::to_string(a);
    });
}

} // namespace teardown
