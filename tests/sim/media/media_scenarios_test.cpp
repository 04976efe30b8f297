// A 4 Mbit/s, 30 fps stream of frames sent as deadline messages (400 ms)
// over full tern connections across `delay 100ms loss 2%` in both
// directions, in virtual time: every delivered frame must be intact and on
// time, and drops and tail latency must stay under bounds that the current
// implementation meets with a wide margin (docs/connection.md, "Figures",
// has the measured values) but a broken retransmission path would not.

#include "connection_scenario.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

#include <algorithm>

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

TEST_CASE("media sim: ProbeRTT on a jittery path neither stalls the stream nor gets stuck") {
  // With 1 ms of jitter RTT samples rarely repeat the minimum, so BBR's min
  // RTT expires after 10 s and ProbeRTT runs (twice in 30 s). It must drain
  // and end: a window cap that the deadline messages' start-up allowance kept
  // refilling once held ProbeRTT for the rest of the stream and dropped a
  // third of the frames.
  auto c = media_config("delay 100ms 1ms", tern::test::seed());
  c.media.frames = 900;
  const auto r = connsim::run_scenario(c);
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  MESSAGE("dropped ", m.frames_dropped, " p99 ", m.latency_p99_ms, " ms, final cwnd ", r.cwnd_bytes);
  CHECK(m.frames_corrupt == 0);
  CHECK(m.frames_dropped == 0);
  CHECK(m.latency_p99_ms < 250);
  // Out of ProbeRTT at the end: the window is well above half the
  // 100 kB the stream keeps in flight.
  CHECK(r.cwnd_bytes > 100'000);
}

TEST_CASE("media sim: the per-frame latency list agrees with the summary (tern-sim --frame-latencies)") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  auto config = media_config("delay 50ms loss 10%", seed);
  config.media.frames = 150;
  const auto r = connsim::run_scenario(config);
  REQUIRE(r.error.empty());
  const auto& m = r.media;
  REQUIRE(m.frame_latency_ms.size() == m.frames_sent);
  std::uint64_t delivered = 0;
  double worst = 0;
  for (double latency : m.frame_latency_ms) {
    if (latency < 0) continue;
    ++delivered;
    worst = std::max(worst, latency);
    CHECK(latency >= 50); // never faster than the one-way delay
  }
  CHECK(delivered == m.frames_delivered);
  CHECK(worst == m.latency_max_ms);

  const std::string csv = connsim::frame_latencies_csv(config, m);
  CHECK(csv.rfind("frame,sent_ms,latency_ms\n", 0) == 0);
  CHECK(static_cast<std::uint64_t>(std::count(csv.begin(), csv.end(), '\n')) == m.frames_sent + 1);
  // Frame 30 is sent one second after frame 0 at 30 fps.
  CHECK(csv.find("\n30,1000,") != std::string::npos);
}
