#pragma once

// "bbr,cubic": a comma-separated list of controllers (--flow-cc, and the
// matrix's --cc).

#include "congestion/controller.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace tern::bulk {

/// Appends the controllers named in `text` to `out`; false (with `out`
/// partly filled) when a name is not a controller or the list is empty.
inline bool parse_algorithm_list(const std::string& text, std::vector<cc::algorithm>& out) {
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t comma = std::min(text.find(',', from), text.size());
    const auto algorithm = cc::parse_algorithm(text.substr(from, comma - from));
    if (!algorithm) return false;
    out.push_back(*algorithm);
    from = comma + 1;
  }
  return !out.empty();
}

} // namespace tern::bulk
