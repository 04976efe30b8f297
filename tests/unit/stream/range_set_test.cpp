#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "support/seed.hpp"

#include "stream/range_set.hpp"

#include <tern/random.hpp>

#include <algorithm>
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
    CHECK(s.total() == static_cast<std::uint64_t>(std::count(bits.begin(), bits.end(), true)));
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

TEST_CASE("range_set: erase_held_by removes exactly what the other set holds inside the window") {
  tern::random_source rng{tern::test::seed()};
  constexpr std::uint64_t n = 400;
  for (int round = 0; round < 200; ++round) {
    range_set s, other;
    std::vector<bool> in_s(n), in_other(n);
    for (int k = 0; k < 30; ++k) {
      const std::uint64_t a = rng.uniform(n), e = std::min(n, a + 1 + rng.uniform(20));
      s.insert(a, e);
      for (auto i = a; i < e; ++i) in_s[i] = true;
      const std::uint64_t b = rng.uniform(n), f = std::min(n, b + 1 + rng.uniform(10));
      other.insert(b, f);
      for (auto i = b; i < f; ++i) in_other[i] = true;
    }
    const std::uint64_t lo = rng.uniform(n), hi = lo + rng.uniform(n - lo + 1);
    const auto other_before = ranges(other);
    s.erase_held_by(other, lo, hi);
    CHECK(ranges(other) == other_before);
    for (std::uint64_t i = 0; i < n; ++i)
      CHECK(s.contains(i, i + 1) == (in_s[i] && !(in_other[i] && i >= lo && i < hi)));
  }
}

// Issue 17: one-byte pieces with holes, in descending order, used to shift
// the whole vector on each insert and had no limit on the holes kept.
TEST_CASE("range_set: one-byte pieces with holes in descending order stop at max_ranges, fills still merge") {
  constexpr std::size_t cap = 64;
  range_set s{cap};
  CHECK(s.max_ranges() == cap);
  std::size_t refused = 0;
  for (std::uint64_t k = 1000; k-- > 0;) {
    const std::uint64_t off = 2 * k + 1; // a hole below each piece
    CHECK(s.fits(off, off + 1) == (s.range_count() < cap));
    const auto added = s.try_insert(off, off + 1);
    if (!added) ++refused;
    CHECK(s.range_count() <= cap);
  }
  CHECK(refused == 1000 - cap);
  CHECK(s.range_count() == cap);
  CHECK(s.total() == cap);
  CHECK(s.front() == byte_range{2 * (1000 - cap) + 1, 2 * (1000 - cap) + 2});
  // At the cap, data touching a held range is accepted (it adds no range);
  // filling the holes downwards merges everything into one range.
  for (std::uint64_t off = 2 * 1000; off >= 2 * (1000 - cap); off -= 2) {
    REQUIRE(s.fits(off, off + 1));
    CHECK(s.try_insert(off, off + 1) == 1u);
  }
  CHECK(s.range_count() == 1);
  CHECK(s.front() == byte_range{2 * (1000 - cap), 2 * 1000 + 1});
  CHECK(s.total() == 2 * cap + 1);
}

TEST_CASE("range_set: alternating and random one-byte holes keep the set within max_ranges and exact") {
  tern::random_source rng{tern::test::seed()};
  constexpr std::size_t cap = 100;
  constexpr std::uint64_t n = 4000;
  std::vector<std::uint64_t> order;
  SUBCASE("alternating ends") {
    for (std::uint64_t lo = 0, hi = n - 1; lo < hi; lo += 2, hi -= 2) {
      order.push_back(hi);
      order.push_back(lo);
    }
  }
  SUBCASE("random") {
    for (std::uint64_t i = 0; i < n; ++i) order.push_back(i);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform(i)]);
  }
  range_set s{cap};
  std::vector<bool> bits(n, false);
  for (const std::uint64_t off : order) {
    const auto added = s.try_insert(off, off + 1);
    CHECK(s.range_count() <= cap);
    if (!added) {
      CHECK(s.range_count() == cap); // refused only at the cap
      continue;
    }
    CHECK(*added == (bits[off] ? 0u : 1u));
    bits[off] = true;
  }
  for (std::uint64_t i = 0; i < n; ++i) CHECK(s.contains(i, i + 1) == bits[i]);
  CHECK(s.total() == static_cast<std::uint64_t>(std::count(bits.begin(), bits.end(), true)));
}

TEST_CASE("range_set: a shared budget counts every set's ranges, through merges, splits, moves and destruction") {
  tern::stream::range_budget budget{5};
  {
    range_set a{100, &budget}, b{100, &budget};
    CHECK(a.try_insert(0, 1));
    CHECK(a.try_insert(2, 3));
    CHECK(b.try_insert(0, 1));
    CHECK(b.try_insert(4, 5));
    CHECK(budget.held() == 4);
    CHECK(b.try_insert(8, 9));
    CHECK_FALSE(a.try_insert(10, 11)); // the budget, not a's own cap, refuses
    CHECK(a.fits(1, 2));               // merging needs no new range
    CHECK_FALSE(a.fits(20, 21));
    CHECK(a.try_insert(1, 2));         // merges three into one
    CHECK(budget.held() == 3 + 1);
    a.erase(1, 2); // splits: never refused
    CHECK(budget.held() == 5);
    range_set moved{std::move(a)};
    CHECK(budget.held() == 5);
    CHECK(moved.range_count() == 2);
    b = std::move(moved); // b's own three ranges go back first
    CHECK(budget.held() == 2);
    b.clear();
    CHECK(budget.held() == 0);
    CHECK(a.try_insert(0, 1));
  }
  CHECK(budget.held() == 0); // destroyed sets give theirs back
}
