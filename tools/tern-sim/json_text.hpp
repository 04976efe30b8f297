#pragma once

// The few JSON value writers tern-sim's reports need: both the packet-level
// and the connection scenario print one JSON object by hand.

#include <cmath>
#include <cstdio>
#include <string>

namespace tern::sim_json {

/// A number in the shortest faithful "%g" form; non-finite values become null.
inline std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// A JSON string; quotes and backslashes escaped, control characters dropped.
inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

inline const char* boolean(bool b) { return b ? "true" : "false"; }

} // namespace tern::sim_json
