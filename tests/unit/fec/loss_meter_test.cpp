#include <doctest/doctest.h>

#include "support/seed.hpp"

#include "fec/loss_estimate.hpp"
#include "fec/loss_meter.hpp"

#include <tern/random.hpp>

using namespace tern::fec;

TEST_CASE("loss_meter: numbers settle 64 behind the largest, and a run of missing ones is one event") {
  loss_meter m;
  // 0..199 with 10, 50-52 and 120 missing.
  for (std::uint64_t n = 0; n < 200; ++n)
    if (n != 10 && !(n >= 50 && n <= 52) && n != 120) m.on_packet(n);
  const auto c = m.counts(0);
  CHECK(c.packets_seen == 200 - 64); // 0..135 settled, 136..199 in the window
  CHECK(c.packets_missing == 5);
  CHECK(c.loss_events == 3);
}

TEST_CASE("loss_meter: reordering within the window is not loss, beyond it is offset by the next miss") {
  loss_meter m;
  for (std::uint64_t n = 0; n < 100; ++n)
    if (n != 20) m.on_packet(n);
  CHECK(m.counts(0).packets_missing == 1);
  m.on_packet(20); // 79 behind: already settled as missing, it was only late
  for (std::uint64_t n = 100; n < 200; ++n)
    if (n != 150) m.on_packet(n);
  m.on_packet(150); // 49 behind: in time
  for (std::uint64_t n = 200; n < 300; ++n)
    if (n != 210) m.on_packet(n);
  const auto c = m.counts(0);
  // 20 counted missing, then offset by 210's miss: one loss in all, never decreasing.
  CHECK(c.packets_missing == 1);
  CHECK(c.loss_events == 1);
  for (std::uint64_t n = 300; n < 400; ++n)
    if (n != 310) m.on_packet(n);
  CHECK(m.counts(0).packets_missing == 2);
}

TEST_CASE("loss_meter: a jump far ahead settles in O(window) and counts the gap as one event") {
  loss_meter m;
  for (std::uint64_t n = 0; n < 10; ++n) m.on_packet(n);
  m.on_packet(1'000'000);
  m.on_packet(1'000'000 + 64);
  const auto c = m.counts(0);
  CHECK(c.packets_seen == 1'000'001);
  CHECK(c.packets_missing == 1'000'000 - 10);
  CHECK(c.loss_events == 1);
}

TEST_CASE("loss_estimate: follows the reported rate and burst length, forgets old loss, ignores stale reports") {
  loss_estimate e;
  CHECK(e.loss_rate() == 0);
  e.on_report({1000, 20, 10, 5});
  CHECK(e.loss_rate() == doctest::Approx(0.02));
  CHECK(e.mean_burst() == doctest::Approx(2.0));
  CHECK(e.packets_recovered() == 5);
  e.on_report({900, 10, 5, 1}); // older: ignored
  CHECK(e.loss_rate() == doctest::Approx(0.02));
  // A long clean stretch: the estimate decays towards zero.
  e.on_report({21'000, 20, 10, 5});
  CHECK(e.loss_rate() < 0.001);
  CHECK(e.loss_rate() > 0);
}

TEST_CASE("loss_meter and loss_estimate: a random 3% loss is measured as 3%") {
  tern::random_source rng(tern::test::seed());
  loss_meter m;
  loss_estimate e;
  for (std::uint64_t n = 0; n < 100'000; ++n) {
    if (rng.uniform01() >= 0.03) m.on_packet(n);
    if (n % 500 == 0) e.on_report(m.counts(0));
  }
  CHECK(e.loss_rate() == doctest::Approx(0.03).epsilon(0.3));
  CHECK(e.mean_burst() == doctest::Approx(1.03).epsilon(0.1));
}
