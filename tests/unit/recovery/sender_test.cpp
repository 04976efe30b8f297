#include <doctest/doctest.h>

#include "congestion/loss_based.hpp"
#include "recovery/errc.hpp"
#include "recovery/sender.hpp"

#include "support/seed.hpp"

#include <limits>

using namespace std::chrono_literals;
using tern::time_point;
using namespace tern::recovery;
namespace cc = tern::cc;

namespace {

const time_point t0 = time_point{} + 1s;

ack_info ack_of(std::initializer_list<ack_range> ranges) {
  ack_info a;
  for (const auto& r : ranges) a.push_back(r);
  return a;
}

sender_config config_for(cc::algorithm a) {
  sender_config c;
  c.algorithm = a;
  c.controller.max_datagram_size = 1200;
  return c;
}

} // namespace

TEST_CASE("sender: the initial window lets ten full packets go, the eleventh waits on the window") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::new_reno), rng};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(s.can_send(1200, t0).allowed());
    CHECK(s.on_packet_sent({.bytes = 1200}, t0) == static_cast<std::uint64_t>(i));
  }
  const auto refused = s.can_send(1200, t0);
  CHECK(refused.limit == send_limit::congestion_window);
  CHECK(s.bytes_in_flight() == 12000);
  CHECK(s.stats().limited_events[static_cast<std::size_t>(send_limit::congestion_window)] == 1);
}

TEST_CASE("sender: ACKs grow the window in slow start and feed the RTT estimate") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::new_reno), rng};
  for (int i = 0; i < 10; ++i) s.on_packet_sent({.bytes = 1200}, t0);
  const auto& out = s.on_ack_received(ack_of({{0, 9}}), t0 + 50ms);
  CHECK_FALSE(out.error);
  CHECK(out.acked.size() == 10);
  CHECK(s.congestion_window() == 24000);
  CHECK(s.rtt().smoothed_rtt() == 50ms);
  CHECK(s.stats().packets_acked == 10);
  // The limited time up to the ACK is accounted when sending resumes.
  s.can_send(1200, t0 + 60ms);
}

TEST_CASE("sender: losses reach the controller and shrink the window once per recovery period") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::new_reno), rng};
  for (int i = 0; i < 10; ++i) s.on_packet_sent({.bytes = 1200, .cookie = 100u + i}, t0);
  const auto& out = s.on_ack_received(ack_of({{5, 9}}), t0 + 50ms);
  REQUIRE(out.lost.size() == 5); // 0..4: at least three behind 9
  CHECK(out.lost[0].cookie == 100);
  CHECK(s.stats().packets_lost == 5);
  // Losses reach the controller before the ACK: the window halves and the
  // ACK of packets sent before recovery began does not grow it.
  CHECK(s.congestion_window() == 6000);
  CHECK(s.controller().state_name() == "recovery");
}

TEST_CASE("sender: a PTO owes probes that bypass the congestion window") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::cubic), rng};
  for (int i = 0; i < 10; ++i) s.on_packet_sent({.bytes = 1200}, t0);
  CHECK_FALSE(s.can_send(1200, t0).allowed());
  const time_point pto = s.next_timeout();
  CHECK(pto == t0 + 1024ms);
  const auto& out = s.on_timeout(pto);
  CHECK(out.probes == 2);
  CHECK(s.probes_owed() == 2);
  CHECK(s.can_send(1200, pto).allowed());
  s.on_packet_sent({.bytes = 1200}, pto);
  CHECK(s.probes_owed() == 1);
  s.on_packet_sent({.bytes = 1200}, pto);
  CHECK(s.probes_owed() == 0);
  CHECK_FALSE(s.can_send(1200, pto).allowed());
  CHECK(s.next_timeout() == pto + 2048ms);
  CHECK(s.stats().probe_timeouts == 1);
}

TEST_CASE("sender: the 2^15 packet window is reported when it, not the congestion window, holds the sender") {
  tern::random_source rng{tern::test::seed()};
  sender_config config = config_for(cc::algorithm::new_reno);
  config.loss.max_unacknowledged = 4;
  config.controller.initial_window_packets = 100;
  sender s{config, rng};
  for (int i = 0; i < 4; ++i) s.on_packet_sent({.bytes = 100}, t0);
  const auto refused = s.can_send(100, t0 + 1ms);
  CHECK(refused.limit == send_limit::packet_window);
  CHECK(s.stats().packet_window_limited);
  CHECK(s.stats().limited_events[static_cast<std::size_t>(send_limit::packet_window)] == 1);
  s.on_ack_received(ack_of({{0, 1}}), t0 + 11ms);
  CHECK(s.can_send(100, t0 + 11ms).allowed());
  s.on_packet_sent({.bytes = 100}, t0 + 11ms);
  CHECK(s.stats().limited_time[static_cast<std::size_t>(send_limit::packet_window)] == 10ms);
}

TEST_CASE("sender: ACK-only packets take numbers but are not in flight") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::bbr), rng};
  CHECK(s.on_packet_sent({.bytes = 40, .ack_eliciting = false, .in_flight = false}, t0) == 0);
  CHECK(s.on_packet_sent({.bytes = 1200}, t0) == 1);
  CHECK(s.bytes_in_flight() == 1200);
  CHECK(s.next_timeout() == t0 + 1024ms);
  const auto& out = s.on_ack_received(ack_of({{0, 1}}), t0 + 30ms);
  CHECK_FALSE(out.error);
  CHECK(out.acked.size() == 1);
  CHECK(s.on_ack_received(ack_of({{2, 2}}), t0 + 30ms).error == recovery_errc::ack_of_unsent_packet);
}

TEST_CASE("sender: after the first RTT sample the pacer spaces packets at the controller's rate") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::cubic), rng};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(s.can_send(1200, t0).allowed());
    s.on_packet_sent({.bytes = 1200}, t0);
  }
  const time_point now = t0 + 100ms;
  s.on_ack_received(ack_of({{0, 9}}), now);
  // Slow start: 2 * cwnd / SRTT = 2 * 24000 B / 100 ms.
  CHECK(s.pacing_rate() == 480'000);
  CHECK(s.pacer().quantum() == 2400);
  REQUIRE(s.can_send(1200, now).allowed());
  s.on_packet_sent({.bytes = 1200}, now);
  REQUIRE(s.can_send(1200, now).allowed());
  s.on_packet_sent({.bytes = 1200}, now);
  const auto held = s.can_send(1200, now);
  REQUIRE(held.limit == send_limit::pacing);
  CHECK(held.release == now + 2500us); // 1200 B at 480 kB/s
  CHECK(s.can_send(1200, held.release).allowed());
}

TEST_CASE("sender: losses the peer rebuilt from repair reach the controller as a loss, not as a retransmission") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::new_reno), rng};
  for (int i = 0; i < 10; ++i) s.on_packet_sent({.bytes = 1200}, t0);
  (void)s.on_ack_received(ack_of({{0, 9}}), t0 + 50ms); // all arrived (one of them rebuilt)
  REQUIRE(s.congestion_window() == 24000);
  for (int i = 10; i < 20; ++i) s.on_packet_sent({.bytes = 1200}, t0 + 60ms);
  const auto in_flight = s.bytes_in_flight();
  // The peer's report says it rebuilt one packet: the window halves once.
  s.on_repaired_losses(1, 1200, t0 + 110ms);
  CHECK(s.congestion_window() == 12000);
  CHECK(s.controller().state_name() == "recovery");
  CHECK(s.stats().repaired_losses == 1);
  CHECK(s.stats().packets_lost == 0);         // nothing to retransmit
  CHECK(s.bytes_in_flight() == in_flight);    // nothing left the flight
  // More repaired losses within the same recovery period: no second cut.
  s.on_repaired_losses(2, 2400, t0 + 120ms);
  CHECK(s.congestion_window() == 12000);
  CHECK(s.stats().repaired_losses == 3);
  // Nothing reported, nothing told.
  s.on_repaired_losses(0, 0, t0 + 130ms);
  CHECK(s.stats().repaired_losses == 3);
}

TEST_CASE("sender: discarded packets (rejected 0-RTT) leave bytes in flight without a congestion event") {
  // A client's 0-RTT packets that the server dropped unopened: they are
  // forgotten (RFC 9002 §6.4), never fed to the controller as losses, even
  // when later packets are acknowledged far past them.
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::new_reno), rng};
  for (int i = 0; i < 6; ++i) s.on_packet_sent({.bytes = 1200, .cookie = 100u + i}, t0); // 0-RTT: 0..5
  const std::uint64_t window = s.congestion_window();
  CHECK(s.bytes_in_flight() == 7200);
  for (std::uint64_t pn = 0; pn < 6; ++pn) CHECK(s.discard(pn) == 1200);
  CHECK(s.discard(3) == 0);  // once
  CHECK(s.discard(99) == 0); // never sent
  CHECK(s.bytes_in_flight() == 0);
  CHECK(s.next_timeout() == tern::never); // nothing left to probe for
  CHECK(s.stats().packets_discarded == 6);
  CHECK(s.stats().bytes_discarded == 7200);

  // The same frames go again under 1-RTT keys and are acknowledged; the
  // discarded numbers below them are holes, not losses.
  for (int i = 0; i < 4; ++i) s.on_packet_sent({.bytes = 1200, .cookie = 200u + i}, t0 + 10ms); // 6..9
  const auto& out = s.on_ack_received(ack_of({{6, 9}}), t0 + 60ms);
  CHECK_FALSE(out.error);
  CHECK(out.acked.size() == 4);
  CHECK(out.lost.empty());
  CHECK(s.stats().packets_lost == 0);
  CHECK(s.stats().bytes_lost == 0);
  CHECK(s.congestion_window() == window + 4 * 1200); // slow start went on: no recovery, ssthresh untouched
  const auto* reno = dynamic_cast<const cc::loss_based_controller*>(&s.controller());
  REQUIRE(reno != nullptr);
  CHECK_FALSE(reno->in_recovery());
  CHECK(reno->slow_start_threshold() == std::numeric_limits<std::uint64_t>::max());
  CHECK(s.bytes_in_flight() == 0);
  // An ACK naming a discarded packet (a peer that never opened it cannot,
  // but a wrong one might) acknowledges nothing.
  const auto& late = s.on_ack_received(ack_of({{0, 9}}), t0 + 70ms);
  CHECK_FALSE(late.error);
  CHECK(late.acked.empty());
  CHECK(late.spurious.empty());
  CHECK(s.stats().packets_acked == 4);
}

TEST_CASE("sender: a discarded packet does not count against a loss found by time among the rest") {
  tern::random_source rng{tern::test::seed()};
  sender s{config_for(cc::algorithm::cubic), rng};
  s.on_packet_sent({.bytes = 1200}, t0);       // 0: discarded
  s.on_packet_sent({.bytes = 1200}, t0 + 1ms); // 1: really lost
  s.on_packet_sent({.bytes = 1200}, t0 + 2ms); // 2: acknowledged
  CHECK(s.discard(0) == 1200);
  const auto& out = s.on_ack_received(ack_of({{2, 2}}), t0 + 50ms);
  CHECK(out.lost.empty()); // 1 is only one behind: the time threshold decides
  const auto& timed = s.on_timeout(s.next_timeout());
  REQUIRE(timed.lost.size() == 1);
  CHECK(timed.lost[0].packet_number == 1);
  CHECK(s.stats().packets_lost == 1);
  CHECK(s.stats().bytes_lost == 1200);
  CHECK(s.stats().packets_discarded == 1);
}
