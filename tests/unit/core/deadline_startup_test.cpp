// core::deadline_startup_lets_go (src/core/deadline_startup.hpp): what a
// deadline-message packet may do beyond the controller's window and pacer
// in start-up, and that the first loss or the end of start-up takes it away.

#include "core/deadline_startup.hpp"

#include <doctest/doctest.h>

namespace tern::core {

namespace {

constexpr std::uint64_t initial_window = 10 * 1200;

const deadline_startup_config defaults{.allowance = 48 * 1200,
                                       .lossless_allowance = 20 * 1200,
                                       .first_window_burst = true,
                                       .paced_after_loss = true};

deadline_startup_state window_full(std::uint64_t in_flight) {
  deadline_startup_state s;
  s.limit = recovery::send_limit::congestion_window;
  s.in_startup = true;
  s.bytes_in_flight = in_flight;
  s.congestion_window = initial_window;
  s.initial_window = initial_window;
  s.packet_bytes = 1200;
  return s;
}

deadline_startup_state paced(std::uint64_t in_flight) {
  deadline_startup_state s = window_full(in_flight);
  s.limit = recovery::send_limit::pacing;
  return s;
}

} // namespace

TEST_CASE("deadline start-up: beyond the window by the allowance, and by the lossless allowance until a loss") {
  // 48 + 20 packets beyond a 10-packet window: the 78th packet in flight fits.
  CHECK(deadline_startup_lets_go(defaults, window_full(77 * 1200)));
  CHECK_FALSE(deadline_startup_lets_go(defaults, window_full(78 * 1200)));

  auto after_loss = window_full(77 * 1200);
  after_loss.loss_seen = true;
  CHECK_FALSE(deadline_startup_lets_go(defaults, after_loss));
  after_loss.bytes_in_flight = 57 * 1200; // within window + allowance
  CHECK(deadline_startup_lets_go(defaults, after_loss));
  after_loss.bytes_in_flight = 58 * 1200;
  CHECK_FALSE(deadline_startup_lets_go(defaults, after_loss));
}

TEST_CASE("deadline start-up: the first window and its repair are not paced until a loss") {
  CHECK(deadline_startup_lets_go(defaults, paced(0)));
  // Judged before the packet: the window's last packet goes too, so it does
  // not wait out the pacer's debt from the burst.
  CHECK(deadline_startup_lets_go(defaults, paced(initial_window - 1)));
  CHECK_FALSE(deadline_startup_lets_go(defaults, paced(initial_window)));
  // Repair due next goes unpaced while the window has room, so it is not
  // held behind the burst of its sources; other packets past the initial
  // window are paced.
  auto grown = paced(2 * initial_window - 1);
  grown.congestion_window = 2 * initial_window;
  CHECK_FALSE(deadline_startup_lets_go(defaults, grown));
  grown.repair_next = true;
  CHECK(deadline_startup_lets_go(defaults, grown));
  grown.bytes_in_flight = 2 * initial_window;
  CHECK_FALSE(deadline_startup_lets_go(defaults, grown));

  auto after_loss = paced(0);
  after_loss.loss_seen = true;
  CHECK_FALSE(deadline_startup_lets_go(defaults, after_loss));

  auto no_burst = defaults;
  no_burst.first_window_burst = false;
  CHECK_FALSE(deadline_startup_lets_go(no_burst, paced(0)));
}

TEST_CASE("deadline start-up: nothing outside start-up, nothing for other limits, zero disables") {
  auto probe_rtt = window_full(12 * 1200);
  probe_rtt.in_startup = false;
  CHECK_FALSE(deadline_startup_lets_go(defaults, probe_rtt));
  auto late_pacing = paced(0);
  late_pacing.in_startup = false;
  CHECK_FALSE(deadline_startup_lets_go(defaults, late_pacing));

  auto packet_window = window_full(0);
  packet_window.limit = recovery::send_limit::packet_window;
  CHECK_FALSE(deadline_startup_lets_go(defaults, packet_window));

  const deadline_startup_config off{};
  CHECK_FALSE(deadline_startup_lets_go(off, window_full(initial_window)));
  CHECK_FALSE(deadline_startup_lets_go(off, paced(0)));
  // The lossless allowance alone, without the start-up allowance.
  const deadline_startup_config lossless_only{.lossless_allowance = 20 * 1200};
  CHECK(deadline_startup_lets_go(lossless_only, window_full(29 * 1200)));
  CHECK_FALSE(deadline_startup_lets_go(lossless_only, window_full(30 * 1200)));
}

TEST_CASE("deadline start-up: past the window, paced once a loss was seen") {
  // Before the first loss the allowances leave unpaced (the first round
  // trips' frames need them); after it they wait for the pacer.
  deadline_startup_state s = window_full(40 * 1200);
  CHECK_FALSE(deadline_startup_paces(defaults, s));
  s.loss_seen = true;
  CHECK(deadline_startup_paces(defaults, s));
  // A packet the pacer held is the burst's business, not this rule's.
  deadline_startup_state held = paced(5 * 1200);
  held.loss_seen = true;
  CHECK_FALSE(deadline_startup_paces(defaults, held));
  deadline_startup_config unpaced = defaults;
  unpaced.paced_after_loss = false;
  CHECK_FALSE(deadline_startup_paces(unpaced, s));
}

} // namespace tern::core
