#pragma once

namespace tern::matrix {

/// `tern-sim matrix ...`: argv[0] is "matrix". Returns the exit status: 0
/// after a report, 1 with --check when a judged cell misses a floor, 2 on
/// bad arguments or a scenario that cannot run.
int matrix_main(int argc, char** argv);

} // namespace tern::matrix
