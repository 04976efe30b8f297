#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "support/seed.hpp"

#include "stream/range_set.hpp"

#include <tern/random.hpp>

#include <vector>

using tern::stream::byte_range;
using tern::stream::range_set;

namespace {
std::vector<byte_range> ranges(const range_set& s) { return {s.begin(), s.end()}; }
} // namespace

TEST_CASE("range_set: insert merges overlapping and adjacent ranges and counts new offsets") {
  range_set s;
  CHECK(s.insert(10, 20) == 10);
  CHECK(s.insert(30, 40) == 10);
  CHECK(s.insert(20, 30) == 10); // adjacent on both sides: one range
  CHECK(ranges(s) == std::vector<byte_range>{{10, 40}});
  CHECK(s.insert(15, 45) == 5);
  CHECK(s.insert(0, 5) == 5);
  CHECK(ranges(s) == std::vector<byte_range>{{0, 5}, {10, 45}});
  CHECK(s.insert(7, 7) == 0);
  CHECK(s.insert(0, 100) == 100 - 5 - 35);
  CHECK(ranges(s) == std::vector<byte_range>{{0, 100}});
}

TEST_CASE("range_set: erase trims, splits and removes") {
  range_set s;
  s.insert(0, 100);
  CHECK(s.erase(40, 60) == 20);
  CHECK(ranges(s) == std::vector<byte_range>{{0, 40}, {60, 100}});
  CHECK(s.erase(30, 70) == 20);
  CHECK(ranges(s) == std::vector<byte_range>{{0, 30}, {70, 100}});
  CHECK(s.erase(0, 30) == 30);
  CHECK(s.erase(200, 300) == 0);
  CHECK(ranges(s) == std::vector<byte_range>{{70, 100}});
  CHECK(s.total() == 30);
}

TEST_CASE("range_set: contains, intersects and contiguous_end") {
  range_set s;
  s.insert(10, 20);
  s.insert(30, 40);
  CHECK(s.contains(10, 20));
  CHECK(s.contains(12, 15));
  CHECK_FALSE(s.contains(15, 35));
  CHECK(s.intersects(15, 35));
  CHECK_FALSE(s.intersects(20, 30));
  CHECK(s.contiguous_end(10) == 20);
  CHECK(s.contiguous_end(15) == 20);
  CHECK(s.contiguous_end(20) == 20);
  CHECK(s.contiguous_end(25) == 25);
}

TEST_CASE("range_set: random inserts and erases match a bitmap") {
  tern::random_source rng{tern::test::seed()};
  constexpr std::uint64_t n = 512;
  std::vector<bool> bits(n, false);
  range_set s;
  for (int step = 0; step < 4000; ++step) {
    const std::uint64_t a = rng.uniform(n), b = a + rng.uniform(40);
    const std::uint64_t e = std::min(b, n);
    std::uint64_t changed = 0;
    const bool add = rng.uniform(3) != 0;
    for (auto i = a; i < e; ++i) {
      changed += bits[i] != add;
      bits[i] = add;
    }
    CHECK((add ? s.insert(a, e) : s.erase(a, e)) == changed);
  }
  std::uint64_t prev_end = 0;
  bool first = true;
  for (const auto& r : s) {
    CHECK(r.begin < r.end);
    if (!first) CHECK(r.begin > prev_end); // disjoint and non-adjacent
    first = false;
    prev_end = r.end;
  }
  for (std::uint64_t i = 0; i < n; ++i) CHECK(s.contains(i, i + 1) == bits[i]);
}
