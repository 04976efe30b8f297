// Issue 20's rate step in virtual time: the path goes rate 8mbit ->
// 2mbit -> 8mbit (delay 50ms each way, 20 s per step) while the synthetic
// encoder (tools/common/media) offers up to 6 Mbit/s of video and 64 kbit/s
// of audio with a 300 ms deadline and follows the connection's target
// rate. Gated here, as they hold: the target rate follows the drop within
// 1 s and the recovery within 3 s; frame p99 is back under 200 ms within
// 2 s of the drop; no video frame or audio packet is lost outside the
// second after the drop; at most 1 % of video frames dropped (8-9 of 1800).
// Not yet held, so gated at today's figure: no audio packet dropped (6 of
// 3000 on seeds 1-5, sent 0.12-0.22 s after the step, before the guard acts;
// docs/media-rate.md). The drain guard is run with and without. The same
// encoder held at 6 Mbit/s shows what
// adapting saves. Also: real-time mode keeps the bottleneck queue shorter
// than the default controller when the sender offers more than the path
// carries. docs/media-rate.md has the figures. The path has no randomness
// but BBR's ProbeBW phase; the seeds add 1 ms of jitter so they differ.
// Seeds: TERN_TEST_SEED and the two after it.

#include "adaptive_media.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

using namespace tern;
using namespace std::chrono_literals;

namespace {

constexpr const char* rate_step = "at 0s: rate 8mbit delay 50ms 1ms; at 20s: rate 2mbit delay 50ms 1ms; "
                                  "at 40s: rate 8mbit delay 50ms 1ms";

connsim::adaptive_media_config step_config(std::uint64_t seed, bool adaptive) {
  connsim::adaptive_media_config c;
  c.link = "rate 8mbit delay 50ms 1ms";
  c.down = "rate 8mbit delay 50ms 1ms";
  c.schedule = rate_step;
  c.seed = seed;
  c.encoder.adaptive = adaptive;
  c.encoder.max_video_bps = 6'000'000;
  c.encoder.start_video_bps = 1'000'000;
  c.encoder.audio_bps = 64'000;
  c.deadline = 300ms;
  c.media_duration = 60s;
  return c;
}

} // namespace

TEST_CASE("adaptive media: a rate step 8 -> 2 -> 8 Mbit/s is followed, and frames stay on time") {
  for (std::uint64_t seed = test::seed(); seed < test::seed() + 3; ++seed) {
    const auto r = connsim::run_adaptive_media(step_config(seed, true));
    INFO("seed " << seed << ": " << connsim::to_json(step_config(seed, true), r, 0));
    REQUIRE(r.error.empty());
    REQUIRE(r.completed);
    REQUIRE(r.steps.size() == 3);
    CHECK(r.video_corrupt == 0);
    const auto& drop = r.steps[1];
    const auto& recovery = r.steps[2];
    CHECK(drop.target_followed_s >= 0);
    // 0.15-0.20 s on seeds 1-5 with the busy ACK clock's fast cut (0.35-0.40 before).
    CHECK(drop.target_followed_s <= 0.3);
    CHECK(recovery.target_followed_s >= 0);
    CHECK(recovery.target_followed_s <= 3.0);
    CHECK(drop.latency_settled_s >= 0);
    CHECK(drop.latency_settled_s <= 2.0);
    // Issue 20 asks for 1 % of video: 8-9 of 1800 on seeds 1-5 with the drain guard (11-14
    // without it, 38-39 before the fast cut).
    CHECK(r.video_drop_rate <= 0.01);
    CHECK(r.steps[0].video_dropped == 0);
    CHECK(r.steps[2].video_dropped == 0);
    // Issue 20 asks for none; 6 on seeds 1-5 with the drain guard (16-17 without it,
    // 48-51 before the fast cut), all sent in the 0.25 s after the step:
    // docs/media-rate.md says why those cannot be saved by any signal from ACKs.
    CHECK(r.audio_dropped <= 8);
  }
}

TEST_CASE("adaptive media: real-time mode shortens the bottleneck queue a fixed-rate sender builds") {
  // 3 Mbit/s of constant-size frames into 2 Mbit/s for 20 s.
  const auto run = [](bool real_time) {
    connsim::adaptive_media_config c;
    c.link = "rate 2mbit delay 50ms";
    c.down = "rate 2mbit delay 50ms";
    c.seed = test::seed();
    c.encoder.adaptive = false;
    c.encoder.max_video_bps = 3'000'000;
    c.encoder.gop = 1;
    c.deadline = 300ms;
    c.media_duration = 20s;
    c.real_time = real_time;
    return connsim::run_adaptive_media(c);
  };
  const auto plain = run(false);
  const auto real_time = run(true);
  INFO("mean queueing delay " << plain.link_queue_delay_mean_ms << " ms without, " << real_time.link_queue_delay_mean_ms
                              << " ms with real-time mode; peaks " << plain.link_queue_delay_max_ms << " and "
                              << real_time.link_queue_delay_max_ms << " ms");
  REQUIRE(plain.completed);
  REQUIRE(real_time.completed);
  CHECK(real_time.link_queue_delay_mean_ms < 0.8 * plain.link_queue_delay_mean_ms);
  CHECK(real_time.link_queue_delay_max_ms < 0.8 * plain.link_queue_delay_max_ms);
}

TEST_CASE("adaptive media: the same encoder held at 6 Mbit/s loses most of the 2 Mbit/s step") {
  const std::uint64_t seed = test::seed();
  const auto adaptive = connsim::run_adaptive_media(step_config(seed, true));
  const auto fixed = connsim::run_adaptive_media(step_config(seed, false));
  INFO("adaptive: " << connsim::to_json(step_config(seed, true), adaptive, 0));
  INFO("fixed: " << connsim::to_json(step_config(seed, false), fixed, 0));
  REQUIRE(fixed.completed);
  REQUIRE(fixed.steps.size() == 3);
  // 6 Mbit/s into 2 Mbit/s: at least half the step's frames cannot arrive.
  CHECK(fixed.steps[1].video_dropped * 2 >= fixed.steps[1].video_frames);
  CHECK(adaptive.video_dropped * 10 < fixed.video_dropped);
}

TEST_CASE("adaptive media: a fixed sender whose queue took the RTT past twice the deadline sends again once it drains") {
  // 6 Mbit/s into 2 Mbit/s with a 150 ms deadline: the queue pushes the
  // smoothed RTT far past 300 ms. Judged by that stale RTT (it moves only
  // with ACKs of new packets), no message could arrive, none was sent and
  // the RTT never came down: every frame of the fast third step was lost
  // on real sockets (docs/benchmarks.md). With nothing in flight the
  // sender judges by the minimum RTT.
  // Video alone, as on those sockets: audio packets would keep something
  // in flight and the RTT moving.
  auto c = step_config(test::seed(), false);
  c.deadline = 150ms;
  c.encoder.audio_bps = 0;
  const auto r = connsim::run_adaptive_media(c);
  INFO(connsim::to_json(c, r, 0));
  REQUIRE(r.completed);
  REQUIRE(r.steps.size() == 3);
  CHECK(r.steps[2].video_dropped * 4 < r.steps[2].video_frames);
}

TEST_CASE("adaptive media: 10 ms of jitter each way does not read as a slower path") {
  // With every ACK's RTT spread over tens of milliseconds, the busy ACK
  // clock's fast cut once held the target at a quarter of the path (0.5
  // Mbit/s from the first step on, never recovering). It looks past the
  // jitter now: 4.8 / 1.45 / 6.0 Mbit/s per step on seeds 1-3.
  auto c = step_config(test::seed(), true);
  c.link = c.down = "rate 8mbit delay 50ms 10ms";
  c.schedule = "at 0s: rate 8mbit delay 50ms 10ms; at 20s: rate 2mbit delay 50ms 10ms; "
               "at 40s: rate 8mbit delay 50ms 10ms";
  const auto r = connsim::run_adaptive_media(c);
  INFO("seed " << c.seed << ": " << connsim::to_json(c, r, 0));
  REQUIRE(r.completed);
  REQUIRE(r.steps.size() == 3);
  CHECK(r.steps[0].target_mean_bps >= 4'000'000);
  CHECK(r.steps[1].target_mean_bps >= 1'200'000);
  CHECK(r.steps[2].target_mean_bps >= 5'000'000);
  CHECK(r.steps[2].target_followed_s >= 0);
}

TEST_CASE("adaptive media: the drain guard keeps audio on time while the queue after a rate drop drains") {
  // After the fast cut, only datagrams (audio) join the queue until it has
  // drained; video waits in the sender. Without the guard the frame the
  // encoder sent before the cut reached it joins the queue, and the audio
  // sent after it is late.
  const std::uint64_t seed = test::seed();
  auto guarded = step_config(seed, true);
  auto unguarded = guarded;
  unguarded.drain_guard = false;
  const auto on = connsim::run_adaptive_media(guarded);
  const auto off = connsim::run_adaptive_media(unguarded);
  INFO("seed " << seed << ": audio dropped " << on.audio_dropped << " with the guard, " << off.audio_dropped
               << " without; queue peak " << on.link_queue_delay_max_ms << " / " << off.link_queue_delay_max_ms << " ms");
  REQUIRE(on.completed);
  REQUIRE(off.completed);
  // 6 with, 16-17 without on seeds 1-5; the queue peaks at 339-340 ms against 384-388 ms.
  CHECK(on.audio_dropped * 2 < off.audio_dropped);
  CHECK(on.link_queue_delay_max_ms < off.link_queue_delay_max_ms - 25);
  CHECK(on.video_dropped <= off.video_dropped);
}
