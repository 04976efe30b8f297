#include <doctest/doctest.h>

#include "jain_index.hpp"

#include <vector>

using tern::bulk::jain_index;

TEST_CASE("jain_index: equal shares are perfectly fair") {
  const std::vector<double> rates{25e6, 25e6, 25e6, 25e6};
  CHECK(jain_index(rates) == doctest::Approx(1.0));
}

TEST_CASE("jain_index: one flow taking everything scores 1/n") {
  const std::vector<double> rates{100e6, 0, 0, 0};
  CHECK(jain_index(rates) == doctest::Approx(0.25));
}

TEST_CASE("jain_index: a worked example, and it does not depend on the unit") {
  // (1 + 2 + 3)^2 / (3 * (1 + 4 + 9)) = 36 / 42
  const std::vector<double> rates{1, 2, 3};
  const std::vector<double> scaled{1e6, 2e6, 3e6};
  CHECK(jain_index(rates) == doctest::Approx(36.0 / 42.0));
  CHECK(jain_index(scaled) == doctest::Approx(jain_index(rates)));
}

TEST_CASE("jain_index: nothing shared is not fair") {
  CHECK(jain_index(std::vector<double>{}) == 0);
  CHECK(jain_index(std::vector<double>{0, 0}) == 0);
}
