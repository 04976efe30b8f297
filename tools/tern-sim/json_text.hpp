#pragma once

// How tern-sim prints its JSON reports: one line, keys in the order they
// were set (nlohmann::ordered_json), measured figures to six significant
// digits, non-finite numbers as null, and text that is not UTF-8 (a --link
// spec typed with stray bytes) replaced rather than thrown at.

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::sim_json {

/// `v` to six significant digits, the precision the reports have always
/// had: more is simulator noise (0.020960000000000003 s) that only makes
/// committed results harder to compare. Non-finite values pass through
/// (dump() writes them as null).
inline double six_digits(double v) {
  if (!std::isfinite(v)) return v;
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return std::strtod(text, nullptr);
}

inline std::string dump(const nlohmann::ordered_json& report) {
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace tern::sim_json
