#include <doctest/doctest.h>

#include "bbr_driver.hpp"

using namespace tern::cc;
using namespace tern::cc::bbr_testing;

namespace {

// One round trip of 1 MB at 10 MB/s and 100 ms (the probing fixture's
// path), after `lost` bytes were declared lost in it.
void lossy_round(probing& p, std::uint64_t lost, std::uint64_t rate = 10'000'000,
                 std::uint64_t in_flight = 1'000'000) {
  if (lost != 0) p.lose(lost);
  p.d.round(rate, 100ms, in_flight, 101ms);
}

constexpr std::uint64_t random_loss = 10'000; // 1% of a round trip

// bw_lo is off by default (bbr_config::cruise_loss_threshold).
bbr_config with_loss_bound() {
  bbr_config tuning;
  tuning.cruise_loss_threshold = 0.02;
  return tuning;
}

// Cruises at 1% loss through the next probe (which ends on its loss) and
// the two round trips after it, whose losses may still be the probe's: the
// next round trip is judged.
void to_judged_cruise(probing& p) {
  for (int i = 0; i < 16 && p.cc.cycle_index() != 0; ++i) lossy_round(p, random_loss);
  REQUIRE(p.cc.cycle_index() == 0);
  lossy_round(p, random_loss);
  REQUIRE(p.cc.pacing_gain() <= 1.0);
  for (int i = 0; i < 2; ++i) lossy_round(p, random_loss);
  REQUIRE(p.cc.pacing_gain() == doctest::Approx(1.0));
}

// Cruises to a judged round trip that loses 5% at `rate`, and one more
// round trip for it to be judged in; returns the bound it set.
std::uint64_t overflow_once(probing& p, std::uint64_t rate, std::uint64_t next_rate) {
  to_judged_cruise(p);
  lossy_round(p, 50'000, rate);
  lossy_round(p, random_loss, next_rate);
  const std::uint64_t bound = p.cc.bandwidth_lo();
  REQUIRE(bound != 0);
  return bound;
}

} // namespace

TEST_CASE("bbr bw_lo: a cruising round trip losing beyond the path's random loss bounds the bandwidth") {
  // A link that delivers 10 MB/s in bursts but holds only 9.5 MB/s of
  // arrivals (netem's limit below its delay line): cruising at the
  // estimate loses 5% at the queue every round trip, with no queue delay
  // and under one BDP in flight.
  probing p{with_loss_bound()};
  auto& cc = p.cc;
  // 1% random loss, round after round, through a whole gain cycle: no bound.
  for (int i = 0; i < 12; ++i) {
    lossy_round(p, random_loss);
    CHECK(cc.bandwidth_lo() == 0);
  }
  CHECK(cc.round_loss_base() == doctest::Approx(0.01).epsilon(0.3));
  to_judged_cruise(p);
  REQUIRE(cc.bandwidth_lo() == 0);
  lossy_round(p, 50'000, 9'500'000);
  lossy_round(p, random_loss, 9'500'000); // judged a round trip late
  // The round delivered 950 kB in 101 ms, of which about 4% beyond the
  // path's random loss overflowed: the bound leaves that share out.
  const std::uint64_t bound = cc.bandwidth_lo();
  const double through = 9'500'000.0 * 100 / 101;
  CHECK(static_cast<double>(bound) < through * 0.97);
  CHECK(static_cast<double>(bound) > through * 0.95);
  CHECK(cc.model_bandwidth() == bound);
  CHECK(cc.max_bandwidth() == 10'000'000);
  CHECK(cc.pacing_rate() == doctest::Approx(0.99 * static_cast<double>(bound)).epsilon(0.001));
  // The bound holds while the rounds lose only the path's 1%.
  for (int i = 0; i < 3; ++i) lossy_round(p, random_loss, 9'000'000);
  CHECK(cc.bandwidth_lo() == bound);
}

TEST_CASE("bbr bw_lo: off, the same round trips leave pacing at the estimate") {
  probing p; // the default
  auto& cc = p.cc;
  to_judged_cruise(p);
  lossy_round(p, 50'000, 9'500'000);
  lossy_round(p, random_loss, 9'500'000);
  CHECK(cc.bandwidth_lo() == 0);
  CHECK(cc.pacing_rate() == doctest::Approx(0.99 * 10'000'000).epsilon(0.001));
}

TEST_CASE("bbr bw_lo: a further excess round lowers the bound by at most 30%") {
  probing p{with_loss_bound()};
  auto& cc = p.cc;
  const std::uint64_t bound = overflow_once(p, 9'500'000, 9'000'000);
  lossy_round(p, 500'000, 1'000'000); // the round's rate is far below 70% of the bound
  lossy_round(p, random_loss, 9'000'000);
  CHECK(cc.bandwidth_lo() == static_cast<std::uint64_t>(0.7 * static_cast<double>(bound)));
}

TEST_CASE("bbr bw_lo: the loss of our own probe, and the round trips after it, is not judged") {
  probing p{with_loss_bound()};
  auto& cc = p.cc;
  for (int i = 0; i < 16 && cc.cycle_index() != 0; ++i) lossy_round(p, random_loss);
  REQUIRE(cc.cycle_index() == 0);
  for (int i = 0; i < 3; ++i) lossy_round(p, 100'000, 9'000'000);
  for (int i = 0; i < 2; ++i) lossy_round(p, random_loss);
  CHECK(cc.bandwidth_lo() == 0);
}

TEST_CASE("bbr bw_lo: a probe that delivers 10% beyond the bound lifts it, one that does not keeps it") {
  const auto after_probe = [](std::uint64_t probe_rate) {
    probing p{with_loss_bound()};
    auto& cc = p.cc;
    const std::uint64_t bound = overflow_once(p, 9'000'000, 8'500'000);
    for (int i = 0; i < 16 && cc.cycle_index() != 0; ++i) lossy_round(p, random_loss, 8'500'000);
    REQUIRE(cc.cycle_index() == 0);
    lossy_round(p, random_loss, probe_rate, 1'200'000); // the probe, ended by its loss
    REQUIRE(cc.pacing_gain() < 1.0);
    for (int i = 0; i < 2; ++i) lossy_round(p, random_loss, 8'500'000);
    return cc.bandwidth_lo() == bound;
  };
  CHECK_FALSE(after_probe(10'000'000));
  CHECK(after_probe(9'000'000));
}
