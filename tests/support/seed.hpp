#pragma once

#include <cstdint>

namespace tern::test {

/// The seed for randomized tests: TERN_TEST_SEED from the environment when
/// set (to reproduce a failure), a fixed default otherwise. The test main
/// prints it whenever a test case fails.
std::uint64_t seed() noexcept;

} // namespace tern::test
