#include <doctest/doctest.h>

#include "recovery/rtt_estimator.hpp"

using namespace std::chrono_literals;
using tern::duration;
using tern::recovery::rtt_config;
using tern::recovery::rtt_estimator;

TEST_CASE("rtt_estimator: before any sample it reports the initial RTT and a one-second timeout") {
  rtt_estimator rtt;
  CHECK_FALSE(rtt.has_sample());
  CHECK(rtt.smoothed_rtt() == 333ms);
  CHECK(rtt.rttvar() == duration{166'500'000});
  CHECK(rtt.min_rtt() == 0ms);
  // 333 + 4 * 166.5 + 25 = 1024 ms (RFC 9002 §6.2.2 initial PTO)
  CHECK(rtt.timeout() == 1024ms);
}

TEST_CASE("rtt_estimator: the first sample sets SRTT to it and RTTVAR to half of it") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 10ms);
  CHECK(rtt.has_sample());
  CHECK(rtt.latest_rtt() == 100ms);
  CHECK(rtt.min_rtt() == 100ms);
  CHECK(rtt.smoothed_rtt() == 100ms);
  CHECK(rtt.rttvar() == 50ms);
}

TEST_CASE("rtt_estimator: later samples are smoothed with 1/8 and 1/4 after subtracting ack delay") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 0ms);
  rtt.on_sample(200ms, 10ms);                         // adjusted 190
  CHECK(rtt.rttvar() == 60ms);                        // (3*50 + 90) / 4
  CHECK(rtt.smoothed_rtt() == duration{111'250'000}); // (7*100 + 190) / 8
  CHECK(rtt.min_rtt() == 100ms);
  CHECK(rtt.latest_rtt() == 200ms);
}

TEST_CASE("rtt_estimator: ack delay is capped at max_ack_delay") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 0ms);
  rtt.on_sample(200ms, 100ms); // capped to 25: adjusted 175
  CHECK(rtt.smoothed_rtt() == duration{(7 * 100'000'000LL + 175'000'000LL) / 8});
}

TEST_CASE("rtt_estimator: ack delay is not subtracted when that would go below min RTT") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 0ms);
  rtt.on_sample(105ms, 10ms); // 105 < 100 + 10: adjusted stays 105
  CHECK(rtt.smoothed_rtt() == duration{(7 * 100'000'000LL + 105'000'000LL) / 8});
  CHECK(rtt.min_rtt() == 100ms);
}

TEST_CASE("rtt_estimator: min RTT ignores ack delay and tracks the smallest sample") {
  rtt_estimator rtt;
  rtt.on_sample(80ms, 0ms);
  rtt.on_sample(60ms, 20ms);
  rtt.on_sample(90ms, 0ms);
  CHECK(rtt.min_rtt() == 60ms);
}

TEST_CASE("rtt_estimator: non-positive samples are ignored") {
  rtt_estimator rtt;
  rtt.on_sample(0ms, 0ms);
  rtt.on_sample(-5ms, 0ms);
  CHECK_FALSE(rtt.has_sample());
}

TEST_CASE("rtt_estimator: timeout is SRTT + 4 RTTVAR + max_ack_delay and doubles per consecutive timeout") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 0ms); // srtt 100, rttvar 50
  CHECK(rtt.base_timeout() == 325ms);
  CHECK(rtt.timeout() == 325ms);
  rtt.on_timeout();
  CHECK(rtt.backoff() == 1);
  CHECK(rtt.timeout() == 650ms);
  rtt.on_timeout();
  CHECK(rtt.timeout() == 1300ms);
  rtt.on_timeout();
  CHECK(rtt.timeout() == 2600ms);
  rtt.on_progress();
  CHECK(rtt.backoff() == 0);
  CHECK(rtt.timeout() == 325ms);
}

TEST_CASE("rtt_estimator: backoff saturates at max_timeout") {
  rtt_config config;
  config.max_timeout = 2s;
  rtt_estimator rtt{config};
  rtt.on_sample(100ms, 0ms);
  for (int i = 0; i < 40; ++i) rtt.on_timeout();
  CHECK(rtt.backoff() == config.max_backoff);
  CHECK(rtt.timeout() == 2s);
}

TEST_CASE("rtt_estimator: timeout clamps to min_timeout and uses the granularity floor") {
  rtt_config config;
  config.max_ack_delay = 0ms;
  config.min_timeout = 10ms;
  rtt_estimator rtt{config};
  rtt.on_sample(1ms, 0ms); // 1 + 4*0.5 = 3 ms raw
  CHECK(rtt.base_timeout() == 10ms);

  config.min_timeout = 0ms;
  rtt_estimator steady{config};
  for (int i = 0; i < 200; ++i) steady.on_sample(4ms, 0ms); // RTTVAR decays towards 0
  CHECK(steady.rttvar() < 250us);
  CHECK(steady.base_timeout() == 5ms); // 4 ms + granularity 1 ms
}

TEST_CASE("rtt_estimator: persistent congestion duration is three unclamped PTOs") {
  rtt_estimator rtt;
  rtt.on_sample(100ms, 0ms);
  CHECK(rtt.persistent_congestion_duration(3) == 975ms);
}

TEST_CASE("rtt_estimator: after a lone in-order shortcut, overtaking shortcuts still stay out of SRTT") {
  // A 60 ms path whose reordering sends some packets past the delay line
  // (10 ms). A packet alone in flight that took the shortcut overtakes
  // nothing: as an in-order sample it sets RFC 9002's min RTT. Shortcuts
  // that did overtake older packets must still not enter SRTT, or the time
  // threshold would shrink to a sixth of the path and declare the normal
  // route lost.
  using tern::recovery::rtt_sample_order;
  rtt_estimator rtt;
  for (int i = 0; i < 4; ++i) rtt.on_sample(60ms, 0ms);
  REQUIRE(rtt.smoothed_rtt() == 60ms);
  rtt.on_sample(10ms, 0ms); // the lone shortcut: in order
  CHECK(rtt.min_rtt() == 10ms); // RFC 9002's minimum is the lowest sample
  const duration srtt = rtt.smoothed_rtt();
  for (int i = 0; i < 20; ++i) CHECK_FALSE(rtt.on_sample(10ms, 0ms, rtt_sample_order::overtaking));
  CHECK(rtt.smoothed_rtt() == srtt);
  // An overtaking packet that took about the path's RTT (it overtook the
  // hole a real loss left) still counts.
  CHECK(rtt.on_sample(61ms, 0ms, rtt_sample_order::overtaking));
  // Once in-order samples confirm a lower level, it is the gate.
  rtt.on_sample(40ms, 0ms);
  rtt.on_sample(40ms, 0ms);
  CHECK(rtt.on_sample(41ms, 0ms, rtt_sample_order::overtaking));
}
