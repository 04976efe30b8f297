#include <doctest/doctest.h>

#include "core/target_rate_report.hpp"

using tern::core::target_rate_report;

TEST_CASE("target_rate_report: the first non-zero value is news, zero never is") {
  target_rate_report r{0.1};
  CHECK_FALSE(r.update(0));
  CHECK(r.update(1000));
  CHECK(r.reported() == 1000);
}

TEST_CASE("target_rate_report: only a move by more than the fraction, either way, is news") {
  target_rate_report r{0.1};
  REQUIRE(r.update(1000));
  CHECK_FALSE(r.update(1100)); // exactly 10 %
  CHECK_FALSE(r.update(901));
  CHECK(r.update(1101));
  CHECK(r.reported() == 1101);
  // Measured from the last reported value, not the last one seen: creeping
  // up 5 % at a time is news on the third step.
  target_rate_report creep{0.1};
  REQUIRE(creep.update(1000));
  CHECK_FALSE(creep.update(1050));
  CHECK_FALSE(creep.update(1100));
  CHECK(creep.update(1150));
  CHECK(creep.update(500));
}
