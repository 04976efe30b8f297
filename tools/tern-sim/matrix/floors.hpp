#pragma once

// Issue 18's floors for BBR, tern's default controller, in every cell of
// the matrix, and the check of a cell's figures against them.

#include <optional>
#include <string>
#include <vector>

namespace tern::matrix {

struct floors {
  /// Goodput against the row's reference (the unimpaired cell, or the link
  /// where the link is what the row is about), median over seeds.
  double goodput_vs_reference = 0.8;
  /// The same ratio, worst seed: no cell below this.
  double goodput_worst = 0.5;
  /// Queue drops the flows under test caused, as a fraction of the packets
  /// they sent in steady state, worst seed.
  double self_drop_fraction = 0.01;
  /// Jain's index among the flows under test, worst seed.
  double jain = 0.95;
};

/// A cell's figures over its seeds, as the floors read them.
struct cell_summary {
  double reference_ratio_median = 0;
  double reference_ratio_min = 0;
  double drop_fraction_max = 0;
  /// Whether the drops are the flows' own: false when other controllers
  /// share the queue (a competitor's overshoot drops tern's packets too).
  bool drops_are_own = true;
  /// Several flows under test: the worst seed's Jain index.
  std::optional<double> jain_min;
};

struct verdict {
  bool pass = true;
  /// One line per floor missed, e.g. "goodput 0.41 of the reference (median) < 0.8".
  std::vector<std::string> failures;
};

verdict judge(const cell_summary& cell, const floors& f = {});

} // namespace tern::matrix
