// A 4 Mbit/s, 30 fps stream of frames sent as deadline messages (400 ms)
// over full tern connections across `delay 100ms loss 2%` in both
// directions, in virtual time: every delivered frame must be intact and on
// time, and drops and tail latency must stay under bounds that the current
// implementation meets with a wide margin (docs/connection.md, "Figures",
// has the measured values) but a broken retransmission path would not.

#include "connection_scenario.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

using namespace tern;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t frames = 300;
#else
constexpr std::uint64_t frames = 1800;
#endif

connsim::scenario_config media_config(const std::string& link, std::uint64_t seed) {
  connsim::scenario_config c;
  c.link = link;
  c.down = link;
  c.seed = seed;
  c.media.enabled = true;
  c.media.frames = frames;
  c.time_limit = 600s;
  return c;
}

} // namespace

TEST_CASE("media sim: 4 Mbit/s 30 fps over 200 ms RTT with 2% loss both ways") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  const auto r = connsim::run_scenario(media_config("delay 100ms loss 2%", seed));
  REQUIRE(r.error.empty());
  CHECK(r.handshake_ok);
  CHECK(r.completed);
  const auto& m = r.media;
  MESSAGE("frames ", m.frames_sent, " delivered ", m.frames_delivered, " dropped ", m.frames_dropped, " (steady ",
          m.steady_frames_dropped, ") p50 ", m.latency_p50_ms, " ms p99 ", m.latency_p99_ms, " ms max ",
          m.latency_max_ms, " ms");
  CHECK(m.frames_sent == frames);
  CHECK(m.send_errors == 0);
  CHECK(m.frames_corrupt == 0);
  CHECK(r.sha256_match);
  CHECK(m.frames_delivered + m.frames_dropped == m.frames_sent);
  // Losses happen (the path really is lossy) and are repaired.
  CHECK(r.packets_lost > 0);
  CHECK(m.retransmissions > 0);
  // Last-chance retransmissions go twice.
  CHECK(m.duplicates > 0);
  // Measured with tail probes and the congestion-window allowance: 2-5
  // drops per 9000 frames (seeds 1-5), 0-1 of them in the first 2 s; p99
  // 309 ms (docs/connection.md, "Media"). Targets: <= 0.1%, p99 <= 320 ms.
  CHECK(m.steady_drop_rate < 0.005);
  CHECK(m.frames_dropped - m.steady_frames_dropped <= 3);
  CHECK(m.latency_p99_ms <= 320);
  CHECK(m.steady_latency_p99_ms < 400);
  CHECK(m.latency_p50_ms > 100); // at least the one-way delay
  CHECK(m.latency_p50_ms < 300);
}

TEST_CASE("media sim: a clean path delivers every frame in one one-way delay") {
  const auto r = connsim::run_scenario(media_config("delay 50ms", tern::test::seed()));
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  CHECK(m.frames_corrupt == 0);
  CHECK(m.steady_frames_dropped == 0);
  CHECK(m.steady_latency_p99_ms < 80); // 50 ms plus serialization at the pacing rate
  CHECK(m.steady_latency_p50_ms >= 50);
}
