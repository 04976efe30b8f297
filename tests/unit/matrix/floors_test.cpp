#include <doctest/doctest.h>

#include "floors.hpp"

#include <cmath>
#include <string>

using tern::matrix::cell_summary;
using tern::matrix::judge;

namespace {

cell_summary healthy() {
  cell_summary c;
  c.reference_ratio_median = 0.95;
  c.reference_ratio_min = 0.9;
  c.drop_fraction_max = 0.001;
  return c;
}

bool mentions(const tern::matrix::verdict& v, const std::string& text) {
  for (const auto& f : v.failures)
    if (f.find(text) != std::string::npos) return true;
  return false;
}

} // namespace

TEST_CASE("floors: a healthy cell passes with nothing to report") {
  const auto v = judge(healthy());
  CHECK(v.pass);
  CHECK(v.failures.empty());
}

TEST_CASE("floors: each floor is inclusive") {
  cell_summary c;
  c.reference_ratio_median = 0.8;
  c.reference_ratio_min = 0.5;
  c.drop_fraction_max = 0.01;
  c.jain_min = 0.95;
  CHECK(judge(c).pass);
}

TEST_CASE("floors: the median below 0.8 of the reference fails") {
  auto c = healthy();
  c.reference_ratio_median = 0.79;
  const auto v = judge(c);
  CHECK_FALSE(v.pass);
  REQUIRE(v.failures.size() == 1);
  CHECK(mentions(v, "median"));
}

TEST_CASE("floors: one seed below 0.5 fails even when the median holds") {
  auto c = healthy();
  c.reference_ratio_min = 0.49;
  const auto v = judge(c);
  CHECK_FALSE(v.pass);
  REQUIRE(v.failures.size() == 1);
  CHECK(mentions(v, "worst seed"));
}

TEST_CASE("floors: self-caused queue drops above 1% fail, a competitor's do not count") {
  auto c = healthy();
  c.drop_fraction_max = 0.011;
  CHECK_FALSE(judge(c).pass);
  CHECK(mentions(judge(c), "queue drops"));
  c.drops_are_own = false;
  CHECK(judge(c).pass);
}

TEST_CASE("floors: Jain's index applies only with several flows under test") {
  auto c = healthy();
  CHECK(judge(c).pass); // no index: one flow
  c.jain_min = 0.94;
  CHECK_FALSE(judge(c).pass);
  CHECK(mentions(judge(c), "Jain"));
}

TEST_CASE("floors: every floor missed is listed, and a NaN never passes") {
  cell_summary c;
  c.reference_ratio_median = std::nan("");
  c.reference_ratio_min = 0.1;
  c.drop_fraction_max = 0.5;
  c.jain_min = 0.5;
  const auto v = judge(c);
  CHECK_FALSE(v.pass);
  CHECK(v.failures.size() == 4);
}
