// Deadline start-up on a path thinner than the stream (docs/streams.md,
// "Deadline start-up"): a 4 Mbit/s, 30 fps stream over 2 Mbit/s with a
// 30-packet queue both ways, in virtual time. What start-up lets deadline
// messages do beyond the controller may cost the first loss, not a queue
// refilled round after round: with the allowance past the window unpaced
// after the first loss, 295 packets were lost where the same run without
// deadline start-up lost 56 (seed 1). Seeds: TERN_TEST_SEED.

#include "connection_scenario.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

using namespace tern;
using namespace std::chrono_literals;

namespace {

std::uint64_t packets_lost(bool deadline_startup, std::uint64_t seed) {
  connsim::scenario_config c;
  c.link = "rate 2mbit delay 100ms limit 30";
  c.down = c.link;
  c.seed = seed;
  c.deadline_startup = deadline_startup;
  c.media.enabled = true;
  c.media.media_duration = 20s;
  c.time_limit = 120s;
  const auto r = connsim::run_scenario(c);
  REQUIRE(r.error.empty());
  REQUIRE(r.handshake_ok);
  return r.packets_lost;
}

} // namespace

TEST_CASE("media sim: deadline start-up on a path half the stream's rate pays for its first loss only") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  const std::uint64_t with = packets_lost(true, seed);
  const std::uint64_t without = packets_lost(false, seed);
  MESSAGE("seed ", seed, ": packets lost ", with, " with deadline start-up, ", without, " without");
  // Measured 131/133 against 56/54 (seeds 1/2): the first loss is larger
  // (the unpaced first round trips), the rest of the run is not. Unpaced
  // past the window after the first loss: 295/299.
  CHECK(with <= 3 * without);
}
