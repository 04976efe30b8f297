#include "sim/distribution.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/seed.hpp"

using tern::sim::delay_distribution;
using tern::sim::distribution_table;

namespace {

struct moments {
  double mean = 0, sd = 0;
};

moments table_moments(delay_distribution d) {
  const auto t = distribution_table(d);
  double sum = 0, sq = 0;
  for (auto v : t) {
    const double x = v / 8192.0;
    sum += x;
    sq += x * x;
  }
  const double n = static_cast<double>(t.size());
  const double mean = sum / n;
  return {mean, std::sqrt(sq / n - mean * mean)};
}

} // namespace

TEST_CASE("distribution tables have netem's size, order and scale") {
  for (auto d : {delay_distribution::normal, delay_distribution::pareto, delay_distribution::paretonormal}) {
    const auto t = distribution_table(d);
    REQUIRE(t.size() == 4096);
    CHECK(std::is_sorted(t.begin(), t.end())); // inverse CDFs
  }
  CHECK(distribution_table(delay_distribution::uniform).empty());
}

TEST_CASE("normal table is a standard normal in units of 8192") {
  const auto m = table_moments(delay_distribution::normal);
  CHECK(std::abs(m.mean) < 0.001);
  CHECK(std::abs(m.sd - 1.0) < 0.01);
  const auto t = distribution_table(delay_distribution::normal);
  CHECK(std::abs(t[2048]) <= 2);                             // median near 0
  CHECK(std::abs(t[3446] / 8192.0 - 1.0) < 0.01);            // Phi^-1(0.8413) = 1
  CHECK(t.front() / 8192.0 < -3.5);
}

TEST_CASE("pareto table: alpha 3, shifted to mean 0, clipped at 32767") {
  const auto t = distribution_table(delay_distribution::pareto);
  CHECK(t.front() == static_cast<std::int16_t>(std::lround((1.0 - 1.5) * 4.0 / 3.0 * 8192)));
  CHECK(t.back() == 32767);
  const auto m = table_moments(delay_distribution::pareto);
  // Clipping the tail pulls the mean a little below 0.
  CHECK(m.mean < 0);
  CHECK(m.mean > -0.1);
}

TEST_CASE("paretonormal mixes the two tables a quarter normal, three quarters pareto") {
  const auto n = distribution_table(delay_distribution::normal);
  const auto p = distribution_table(delay_distribution::pareto);
  const auto pn = distribution_table(delay_distribution::paretonormal);
  for (std::size_t k : {std::size_t{100}, std::size_t{2048}, std::size_t{4000}})
    CHECK(std::abs(pn[k] - (n[k] + 3 * p[k]) / 4) <= 1);
}

TEST_CASE("tabledist without jitter returns the mean and draws nothing") {
  tern::random_source a(tern::test::seed()), b(tern::test::seed());
  CHECK(tern::sim::tabledist(5000, 0, delay_distribution::normal, nullptr, a) == 5000);
  CHECK(a.next_u64() == b.next_u64());
}

TEST_CASE("uniform tabledist stays within mu plus or minus sigma") {
  tern::random_source rng(tern::test::seed());
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < 100000; ++i) {
    const auto v = tern::sim::tabledist(10'000'000, 1'000'000, delay_distribution::uniform, nullptr, rng);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo >= 9'000'000);
  CHECK(hi < 11'000'000);
  CHECK(lo < 9'001'000);
  CHECK(hi > 10'999'000);
}

TEST_CASE("correlated draws: lag-one correlation equals rho") {
  // x_n = (1 - rho) u_n + rho x_{n-1} is an AR(1) process: corr(x_n, x_{n-1}) = rho.
  const int n = 200000;
  for (double rho_percent : {0.0, 25.0, 75.0}) {
    tern::random_source rng(tern::test::seed());
    tern::sim::correlated_random c(rho_percent, rng);
    std::vector<double> x(n);
    for (auto& v : x) v = c.next(rng) / 4294967296.0;
    double mean = 0;
    for (double v : x) mean += v;
    mean /= n;
    double num = 0, den = 0;
    for (int i = 1; i < n; ++i) num += (x[i] - mean) * (x[i - 1] - mean);
    for (double v : x) den += (v - mean) * (v - mean);
    const double r = num / den;
    // Standard error of a lag-1 autocorrelation estimate ~ sqrt((1 - rho^2) / n).
    const double rho = rho_percent / 100;
    const double tol = 5 * std::sqrt((1 - rho * rho) / n);
    INFO("rho " << rho << " measured " << r);
    CHECK(std::abs(r - rho) < tol);
    CHECK(std::abs(mean - 0.5) < 0.01);
  }
}
