#pragma once
// Skipping a test case from inside it, so that ctest shows "skipped" rather
// than a pass when what the case tests is missing here (a capability of the
// kernel, a third-party program).

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::test {

/// True when an assertion (CHECK or REQUIRE, not WARN) of the running test
/// case has failed. Defined in test_main.cpp.
bool current_test_case_failed() noexcept;

/// ctest runs each case alone and maps exit code 77 to "skipped" (entries
/// that may skip set SKIP_RETURN_CODE 77 and the environment variable
/// TERN_SKIP_RETURN_CODE=77): under it, this ends the process with that code.
/// Run by hand (no such variable) the case warns and goes on. A case whose
/// earlier assertions failed is never turned into a skip: it warns, returns,
/// and fails as it should. The caller returns from the test case after it.
[[maybe_unused]] inline void skip(const std::string& why) {
  if (const char* code = std::getenv("TERN_SKIP_RETURN_CODE");
      code != nullptr && *code != '\0' && !current_test_case_failed()) {
    std::printf("SKIPPED: %s\n", why.c_str());
    std::fflush(stdout);
    std::_Exit(std::atoi(code));
  }
  WARN_MESSAGE(false, ("skipped: " + why).c_str());
}

} // namespace tern::test
