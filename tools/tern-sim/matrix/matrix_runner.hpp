#pragma once

// Runs the matrix: every row, for every controller, over several seeds,
// each run beside the same seed's unimpaired baseline, in virtual time.

#include "cell_metrics.hpp"
#include "floors.hpp"
#include "path_rows.hpp"

#include "congestion/controller.hpp"

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace tern::matrix {

struct matrix_options {
  /// The floors apply to the first (tern's default, BBR); the others are
  /// reported beside it.
  std::vector<cc::algorithm> controllers{cc::algorithm::bbr, cc::algorithm::cubic, cc::algorithm::new_reno};
  std::uint64_t first_seed = 1;
  std::size_t seeds = 3;
  /// Called before each cell with "row name / controller" (progress).
  std::function<void(const std::string&)> on_cell;
};

struct cell_result {
  path_row row;
  cc::algorithm algorithm{};
  /// The cell's scenario, to rerun one seed with tern-sim.
  std::string link, down, schedule;
  std::vector<seed_run> runs;
  seed_summary summary;
  /// Against the floors (only the first controller's cells are judged).
  bool judged = false;
  verdict floor_verdict;
};

struct matrix_result {
  /// Empty when every scenario ran; otherwise the first that could not.
  std::string error;
  std::vector<cell_result> cells;
  /// Simulator runs made (a baseline shared by several cells runs once).
  std::size_t scenarios_run = 0;
  double wall_seconds = 0;
};

matrix_result run_matrix(std::span<const path_row> rows, const matrix_options& options);

/// The rows whose group or name contains `text` (all for "").
std::vector<path_row> select_rows(std::span<const path_row> rows, const std::string& text);

} // namespace tern::matrix
