#pragma once

// The matrix as one table: Markdown for people (docs/congestion.md pastes
// it), JSON for scripts (bench/results).

#include "matrix_runner.hpp"

#include <string>

namespace tern::matrix {

/// One Markdown table, a row per path row: the judged controller's
/// figures and verdict first, the other controllers' beside them; then the
/// floors each failing cell missed.
std::string to_markdown(const matrix_result& result, const matrix_options& options);

/// One JSON object: the options, the floors, every cell with its summary,
/// verdict and per-seed figures.
std::string to_json(const matrix_result& result, const matrix_options& options);

/// Cells judged against the floors that missed one.
std::size_t failed_cells(const matrix_result& result);

} // namespace tern::matrix
