#pragma once
// A watch record and an alert as a JSON line or a table row.
#include <string>

#include "watch/alerts.hpp"
#include "watch/lifecycle.hpp"

namespace teardown::watch {

std::string record_json(const WatchRecord& r);
std::string alert_json(const Alert& a);
std::string record_row(const WatchRecord& r);
std::string record_row_header();
// "ETIMEDOUT", or "0" for none.
std::string errno_name(int e);

} // namespace teardown::watch
