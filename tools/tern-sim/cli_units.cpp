#include "cli_units.hpp"

#include <cmath>

namespace tern::sim_cli {

namespace {

/// Splits "2.5mbit" into 2.5 and "mbit"; false unless it starts with a
/// finite number.
bool number_and_unit(const std::string& text, double& value, std::string& unit) {
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  unit = text.substr(used);
  return std::isfinite(value);
}

} // namespace

// "100M", "1.5G", "64k", "1000": decimal units (k = 1000), as dd does with kB.
bool parse_bytes(const std::string& text, std::uint64_t& out) {
  if (text.empty()) return false;
  double value = 0;
  std::string unit;
  if (!number_and_unit(text, value, unit)) return false;
  double scale = 1;
  if (unit == "" || unit == "B")
    scale = 1;
  else if (unit == "k" || unit == "K" || unit == "kB" || unit == "KB")
    scale = 1e3;
  else if (unit == "M" || unit == "MB")
    scale = 1e6;
  else if (unit == "G" || unit == "GB")
    scale = 1e9;
  else if (unit == "Ki" || unit == "KiB")
    scale = 1024.0;
  else if (unit == "Mi" || unit == "MiB")
    scale = 1024.0 * 1024;
  else if (unit == "Gi" || unit == "GiB")
    scale = 1024.0 * 1024 * 1024;
  else
    return false;
  if (value < 0 || value * scale > 1e15) return false;
  out = static_cast<std::uint64_t>(value * scale);
  return true;
}

bool parse_seconds(const std::string& text, tern::duration& out) {
  double value = 0;
  std::string unit;
  if (!number_and_unit(text, value, unit)) return false;
  double scale = 1;
  if (unit == "s" || unit.empty())
    scale = 1;
  else if (unit == "ms")
    scale = 1e-3;
  else if (unit == "us")
    scale = 1e-6;
  else
    return false;
  // At most about 31 years: the conversion to nanoseconds stays in range.
  if (value < 0 || value * scale > 1e9) return false;
  out = tern::duration{static_cast<tern::duration::rep>(value * scale * 1e9)};
  return true;
}

// "4mbit", "500kbit", "2.5mbps" (bytes), "1000000": bits per second, tc units.
bool parse_rate(const std::string& text, std::uint64_t& out) {
  double value = 0;
  std::string unit;
  if (!number_and_unit(text, value, unit)) return false;
  double scale = 0;
  if (unit.empty() || unit == "bit") scale = 1;
  else if (unit == "kbit") scale = 1e3;
  else if (unit == "mbit") scale = 1e6;
  else if (unit == "gbit") scale = 1e9;
  else if (unit == "bps") scale = 8;
  else if (unit == "kbps") scale = 8e3;
  else if (unit == "mbps") scale = 8e6;
  if (scale == 0 || value <= 0 || value * scale > 1e12) return false;
  out = static_cast<std::uint64_t>(value * scale);
  return true;
}

} // namespace tern::sim_cli
