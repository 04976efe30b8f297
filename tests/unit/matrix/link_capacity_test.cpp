#include <doctest/doctest.h>

#include "link_capacity.hpp"

#include "sim/netem_spec.hpp"

#include <string>

using namespace tern::matrix;

namespace {

tern::sim::netem_spec spec_of(const std::string& text) {
  auto parsed = tern::sim::parse_netem_spec(text);
  REQUIRE_MESSAGE(parsed.ok(), text);
  return parsed.value();
}

} // namespace

TEST_CASE("saturated link: a clean link carries its rate") {
  CHECK(saturated_link_fraction(spec_of("rate 100mbit delay 20ms limit 626"), 1, 20000, 1200) ==
        doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("saturated link: the limit counts the delay line") {
  // One packet at a time: 10 ms of transmission (1250 bytes at 1 Mbit/s)
  // after 10 ms of delay, so the link is busy half the time.
  CHECK(saturated_link_fraction(spec_of("rate 1mbit delay 10ms limit 1"), 1, 200, 1250) ==
        doctest::Approx(0.5).epsilon(1e-6));
  // Two held: one waits out its delay while the other is sent, and the
  // link never idles.
  CHECK(saturated_link_fraction(spec_of("rate 1mbit delay 10ms limit 2"), 1, 200, 1250) ==
        doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("saturated link: random loss takes packets, not link time") {
  // netem drops a lost packet before its queue, so a full queue still
  // fills the link with the packets that are not lost.
  CHECK(saturated_link_fraction(spec_of("rate 100mbit delay 20ms limit 626 loss 10%"), 1, 20000, 1200) ==
        doctest::Approx(1.0).epsilon(1e-3));
}

TEST_CASE("saturated link: jitter idles the link only when the queue is shallower than the delay spread") {
  // 30 ms of normal jitter around 20 ms: a draw beyond the backlog the
  // limit allows (626 packets, 60 ms at 100 Mbit/s) leaves the link idle
  // until it is due, and everything behind it waits (netem's rate path
  // keeps departures in order).
  const double shallow =
      saturated_link_fraction(spec_of("rate 100mbit delay 20ms 30ms distribution normal limit 626"), 1, 40000, 1200);
  CHECK(shallow < 0.9);
  CHECK(shallow > 0.3);
  CHECK(shallow == doctest::Approx(0.597).epsilon(0.01));
  // With room for 144 ms of backlog, more than nearly every draw, the same
  // jitter hardly idles the link: a sender that keeps enough queued fills it.
  CHECK(saturated_link_fraction(spec_of("rate 100mbit delay 20ms 30ms distribution normal limit 1500"), 1, 40000,
                                1200) > 0.99);
}

TEST_CASE("saturated link: no rate, nothing to saturate") {
  CHECK(saturated_link_fraction(spec_of("delay 20ms"), 1, 100, 1200) == 1.0);
}
