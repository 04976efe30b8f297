#pragma once

// The tools print their results and statistics as one JSON object on one
// line (--json, --stats-json), among lines meant for people; a test that
// runs one finds that line and reads it with nlohmann::json.

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

namespace tern::test {

/// The last line of `output` that parses as a JSON object, or an empty
/// object when there is none (so value("key", fallback) always works).
inline nlohmann::json json_line(const std::string& output) {
  nlohmann::json found = nlohmann::json::object();
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with('{')) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) found = std::move(parsed);
  }
  return found;
}

/// The number at `pointer` (RFC 6901, e.g. "/up/lost") in the JSON line of
/// `output`; -1 when there is no such line or no number there.
inline long json_line_number(const std::string& output, const std::string& pointer) {
  const nlohmann::json stats = json_line(output);
  const nlohmann::json::json_pointer at(pointer);
  return stats.contains(at) && stats[at].is_number() ? stats[at].get<long>() : -1;
}

} // namespace tern::test
