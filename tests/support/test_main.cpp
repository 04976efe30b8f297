// doctest main shared by every tern test executable. It adds three things
// to doctest's: a failing test case prints the seed that reproduces it;
// tern::test::skip (support/skip.hpp) learns whether the running case has
// failed already; and a run whose filter matched no test case fails. ctest
// runs each case by name, and a name that no longer matches (CMake splits
// names at ';', a case renamed after discovery) would otherwise report a
// pass for a test that never ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/seed.hpp"
#include "support/skip.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::test {

std::uint64_t seed() noexcept {
  static const std::uint64_t value = [] {
    if (const char* env = std::getenv("TERN_TEST_SEED"); env != nullptr && *env != '\0')
      return static_cast<std::uint64_t>(std::strtoull(env, nullptr, 0));
    return std::uint64_t{20261122};
  }();
  return value;
}

namespace {
bool current_failed = false; // an assertion of the running test case failed
bool nothing_matched = false; // a test run ended with no case passing the filters
} // namespace

bool current_test_case_failed() noexcept { return current_failed; }

namespace {

struct seed_reporter : doctest::IReporter {
  explicit seed_reporter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    nothing_matched = stats.numTestCasesPassingFilters == 0;
  }
  void test_case_start(const doctest::TestCaseData& tc) override {
    current_ = &tc;
    current_failed = false;
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    if (stats.failure_flags != 0 && current_ != nullptr)
      std::fprintf(stderr, "[tern] test case \"%s\" failed; reproduce with TERN_TEST_SEED=%llu\n",
                   current_->m_name, static_cast<unsigned long long>(seed()));
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& ad) override {
    if (ad.m_failed && (ad.m_at & doctest::assertType::is_warn) == 0) current_failed = true;
  }
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

private:
  const doctest::TestCaseData* current_ = nullptr;
};

} // namespace
} // namespace tern::test

DOCTEST_REGISTER_LISTENER("tern-seed", 1, tern::test::seed_reporter);

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  const int status = context.run();
  if (status == 0 && tern::test::nothing_matched && !context.shouldExit()) {
    std::fprintf(stderr, "[tern] no test case matched the filters: nothing was tested\n");
    return 1;
  }
  return status;
}
