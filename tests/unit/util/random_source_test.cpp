#include <doctest/doctest.h>

#include "support/seed.hpp"

#include <tern/random.hpp>

#include <array>
#include <cmath>

TEST_CASE("random_source: the same seed gives the same sequence, another seed another") {
  tern::random_source a{tern::test::seed()};
  tern::random_source b{tern::test::seed()};
  tern::random_source c{tern::test::seed() + 1};
  int differing = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next_u64();
    CHECK(x == b.next_u64());
    differing += x != c.next_u64();
  }
  CHECK(differing > 990);
}

TEST_CASE("random_source: uniform(bound) stays below bound and covers it evenly") {
  tern::random_source rng{tern::test::seed()};
  std::array<int, 7> counts{};
  constexpr int draws = 70'000;
  for (int i = 0; i < draws; ++i) {
    const auto v = rng.uniform(counts.size());
    REQUIRE(v < counts.size());
    ++counts[v];
  }
  // Each bucket is Binomial(70000, 1/7): mean 10000, sd ~92. Six sd is a bound
  // a correct generator essentially never crosses.
  for (int n : counts) CHECK(std::abs(n - 10'000) < 6 * 93);
  CHECK(rng.uniform(0) == 0);
  CHECK(rng.uniform(1) == 0);
}

TEST_CASE("random_source: uniform01 lies in the unit interval with mean one half") {
  tern::random_source rng{tern::test::seed()};
  double sum = 0;
  constexpr int draws = 100'000;
  for (int i = 0; i < draws; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  // sd of the mean = sqrt(1/12 / n) ~ 0.00091.
  CHECK(std::abs(sum / draws - 0.5) < 0.006);
}

TEST_CASE("random_source: fill writes every byte of odd-sized buffers") {
  tern::random_source rng{tern::test::seed()};
  std::array<std::byte, 37> buf{};
  int nonzero = 0;
  for (int round = 0; round < 8; ++round) {
    rng.fill(buf);
    nonzero += buf.back() != std::byte{0};
  }
  CHECK(nonzero >= 6); // the last byte is written, not left zero
}

TEST_CASE("random_source: a seeded source's fill repeats for its seed, an unpredictable one's does not") {
  const std::uint64_t seed = tern::test::seed();
  std::array<std::byte, 20> a{};
  std::array<std::byte, 20> b{};
  tern::random_source seeded_a{seed};
  tern::random_source seeded_b{seed};
  seeded_a.fill(a);
  seeded_b.fill(b);
  CHECK(a == b); // tests and the simulator rely on this, connection IDs included
  CHECK_FALSE(seeded_a.is_unpredictable());

  // Same seed, so the same protocol choices (next_u64), but fill() comes
  // from the CSPRNG: 160 bits alike by chance would take ~2^160 tries.
  auto secure_a = tern::random_source::unpredictable(seed);
  auto secure_b = tern::random_source::unpredictable(seed);
  CHECK(secure_a.is_unpredictable());
  CHECK(secure_a.next_u64() == secure_b.next_u64());
  secure_a.fill(a);
  secure_b.fill(b);
  CHECK(a != b);
  std::array<std::byte, 20> from_seeded{};
  tern::random_source{seed}.fill(from_seeded);
  CHECK(a != from_seeded);
}

TEST_CASE("random_source: unpredictable() without a seed seeds its generator from the CSPRNG") {
  auto a = tern::random_source::unpredictable();
  auto b = tern::random_source::unpredictable();
  int differing = 0;
  for (int i = 0; i < 4; ++i) differing += a.next_u64() != b.next_u64();
  CHECK(differing == 4);
}
