#include "core/vocabulary.hpp"

namespace teardown {

std::string AnomalySet::to_string(char sep) const {
    std::string out;
    append_to(out, sep);
    return out;
}

void AnomalySet::append_to(std::string& out, char sep) const {
    append_written(out, k_max_text, [&](TextCursor& c) { write_to(c, sep); });
}

void AnomalySet::write_to(TextCursor& c, char sep) const {
    bool first = true;
    for_each([&](Anomaly a) {
        if (!first) c.put(sep);
        first = false;
        c.put(teardown::to_string(a));
    });
}

} // namespace teardown
