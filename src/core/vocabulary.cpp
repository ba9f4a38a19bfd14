#include "core/vocabulary.hpp"

namespace teardown {

std::string AnomalySet::to_string(char sep) const {
    std::string out;
    for_each([&](Anomaly a) {
        if (!out.empty()) out += sep;
        out += teardown::to_string(a);
    });
    return out;
}

} // namespace teardown
