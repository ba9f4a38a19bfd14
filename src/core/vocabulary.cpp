#include "core/vocabulary.hpp"

namespace teardown {

std::string AnomalySet::to_string(char sep) const {
    std::string out;
    append_to(out, sep);
    return out;
}

void AnomalySet::append_to(std::string& out, char sep) const {
    char text[k_max_text];
    TextCursor c{text};
    write_to(c, sep);
    out.append(text, static_cast<std::size_t>(c.at() - text));
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
