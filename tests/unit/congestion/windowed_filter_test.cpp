#include <doctest/doctest.h>

#include "congestion/windowed_filter.hpp"

#include "support/seed.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <deque>
#include <utility>

using tern::cc::max_filter;
using tern::cc::min_filter;

TEST_CASE("windowed_filter: empty until the first sample") {
  max_filter<int> f{10};
  CHECK(f.empty());
  CHECK(f.best() == 0);
  f.update(5, 0);
  CHECK_FALSE(f.empty());
  CHECK(f.best() == 5);
}

TEST_CASE("windowed_filter: a larger sample replaces the maximum at once") {
  max_filter<int> f{10};
  f.update(5, 0);
  f.update(3, 1);
  CHECK(f.best() == 5);
  f.update(9, 2);
  CHECK(f.best() == 9);
}

TEST_CASE("windowed_filter: the maximum expires after the window and falls to the best recent sample") {
  max_filter<int> f{10};
  f.update(100, 0);
  for (std::uint64_t t = 1; t <= 10; ++t) f.update(50 + static_cast<int>(t), t);
  CHECK(f.best() == 100); // age 10 is still inside the window
  f.update(40, 11);
  // 100 expired; the sub-window champions (60 at t=10 or later ones) take over.
  CHECK(f.best() < 100);
  CHECK(f.best() >= 40);
  f.update(30, 40); // everything old expired
  CHECK(f.best() == 30);
}

TEST_CASE("windowed_filter: min filter tracks the minimum") {
  min_filter<int> f{5};
  f.update(10, 0);
  f.update(7, 1);
  f.update(12, 2);
  CHECK(f.best() == 7);
  f.update(20, 7); // 7 at t=1 expired
  CHECK(f.best() >= 12);
}

TEST_CASE("windowed_filter: the estimate lies within the true window maximum bounds") {
  // The three-sample filter is an approximation: its estimate is never larger
  // than the maximum over the window and never below the latest sample.
  tern::random_source rng{tern::test::seed()};
  max_filter<std::uint64_t> f{10};
  std::deque<std::pair<std::uint64_t, std::uint64_t>> window;
  for (std::uint64_t t = 0; t < 2000; ++t) {
    const std::uint64_t v = rng.uniform(1000);
    f.update(v, t);
    window.emplace_back(t, v);
    while (t - window.front().first > 10) window.pop_front();
    std::uint64_t true_max = 0;
    for (const auto& s : window) true_max = std::max(true_max, s.second);
    REQUIRE(f.best() <= true_max);
    REQUIRE(f.best() >= v);
  }
}
