#pragma once

// Jain's fairness index (Jain, Chiu and Hawe, DEC-TR-301, 1984) of a set of
// throughputs: (Σx)² / (n · Σx²). 1 when every flow gets the same, 1/n when
// one flow gets everything.

#include <span>

namespace tern::bulk {

/// Jain's index of `rates` (any unit, all non-negative). 0 for an empty set
/// or when every rate is zero: nothing was shared, so nothing was fair.
inline double jain_index(std::span<const double> rates) noexcept {
  double sum = 0, sum_sq = 0;
  for (const double x : rates) {
    sum += x;
    sum_sq += x * x;
  }
  return sum_sq > 0 ? sum * sum / (static_cast<double>(rates.size()) * sum_sq) : 0;
}

} // namespace tern::bulk
