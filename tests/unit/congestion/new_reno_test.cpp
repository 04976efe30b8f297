#include <doctest/doctest.h>

#include "congestion/new_reno.hpp"

#include "events.hpp"

using namespace std::chrono_literals;
using tern::time_point;
using namespace tern::cc;
namespace ev = tern::cc::test;

namespace {
const time_point t0 = time_point{} + 1s;
controller_config config() {
  controller_config c;
  c.max_datagram_size = 1200;
  return c;
}
} // namespace

TEST_CASE("new_reno: starts at ten datagrams, unpaced until an RTT is known") {
  new_reno cc{config()};
  CHECK(cc.congestion_window() == 12000);
  CHECK(cc.in_slow_start());
  CHECK(cc.pacing_rate() == unlimited_rate);
  CHECK(cc.state_name() == "slow_start");
}

TEST_CASE("new_reno: slow start adds every acknowledged byte") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 1200, t0, 100ms));
  CHECK(cc.congestion_window() == 13200);
  cc.on_ack(ev::ack(t0 + 101ms, 12000, t0, 100ms));
  CHECK(cc.congestion_window() == 25200);
  // Pacing at twice the window per RTT in slow start.
  CHECK(cc.pacing_rate() == 2 * 25200 * 10);
}

TEST_CASE("new_reno: a loss halves the window once per recovery period") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 12000, t0, 100ms)); // 24000
  cc.on_loss(ev::loss(t0 + 200ms, 1200, t0 + 150ms, 20));
  CHECK(cc.congestion_window() == 12000);
  CHECK(cc.slow_start_threshold() == 12000);
  CHECK(cc.in_recovery());
  CHECK(cc.state_name() == "recovery");
  // A loss from the same flight (sent before recovery began): no change.
  cc.on_loss(ev::loss(t0 + 210ms, 1200, t0 + 160ms, 21));
  CHECK(cc.congestion_window() == 12000);
  // ACKs of packets sent before recovery began do not grow the window.
  cc.on_ack(ev::ack(t0 + 220ms, 2400, t0 + 170ms, 100ms));
  CHECK(cc.congestion_window() == 12000);
  CHECK(cc.in_recovery());
  // The first ACK of a packet sent after it ends recovery; congestion
  // avoidance adds one datagram per window acknowledged.
  cc.on_ack(ev::ack(t0 + 300ms, 6000, t0 + 201ms, 100ms));
  CHECK_FALSE(cc.in_recovery());
  CHECK(cc.congestion_window() == 12000);
  cc.on_ack(ev::ack(t0 + 310ms, 6000, t0 + 210ms, 100ms));
  CHECK(cc.congestion_window() == 13200);
  CHECK(cc.state_name() == "congestion_avoidance");
  CHECK(cc.pacing_rate() == 13200 * 10 * 5 / 4);
  // A later loss is a new congestion event.
  cc.on_loss(ev::loss(t0 + 400ms, 1200, t0 + 305ms, 40));
  CHECK(cc.congestion_window() == 6600);
}

TEST_CASE("new_reno: the window never drops below two datagrams") {
  new_reno cc{config()};
  time_point now = t0;
  for (int i = 0; i < 10; ++i) {
    now += 1s;
    cc.on_loss(ev::loss(now, 1200, now - 1ms, 100u * i));
  }
  CHECK(cc.congestion_window() == 2400);
}

TEST_CASE("new_reno: persistent congestion collapses to the minimum window and slow-starts back") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 12000, t0, 100ms)); // 24000
  auto e = ev::loss(t0 + 2s, 12000, t0 + 1900ms, 10, 10);
  e.persistent_congestion = true;
  cc.on_loss(e);
  CHECK(cc.congestion_window() == 2400);
  CHECK(cc.slow_start_threshold() == 12000);
  CHECK_FALSE(cc.in_recovery());
  cc.on_ack(ev::ack(t0 + 2100ms, 2400, t0 + 2001ms, 100ms));
  CHECK(cc.congestion_window() == 4800);
}

TEST_CASE("new_reno: a reduction whose losses all prove spurious is undone") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 12000, t0, 100ms)); // 24000
  cc.on_loss(ev::loss(t0 + 200ms, 2400, t0 + 150ms, 30, 2));
  CHECK(cc.congestion_window() == 12000);
  cc.on_spurious_loss(spurious_loss_event{.now = t0 + 210ms, .packet_number = 30, .bytes = 1200});
  CHECK(cc.congestion_window() == 12000); // one of two still counts as lost
  cc.on_spurious_loss(spurious_loss_event{.now = t0 + 211ms, .packet_number = 31, .bytes = 1200});
  CHECK(cc.congestion_window() == 24000);
  CHECK_FALSE(cc.in_recovery());
  CHECK(cc.in_slow_start());
}

TEST_CASE("new_reno: a spurious loss from an earlier event does not undo the current one") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 12000, t0, 100ms));
  cc.on_loss(ev::loss(t0 + 200ms, 1200, t0 + 150ms, 30));
  cc.on_ack(ev::ack(t0 + 300ms, 1200, t0 + 250ms, 100ms)); // recovery over
  cc.on_loss(ev::loss(t0 + 400ms, 1200, t0 + 350ms, 50));
  const auto after_second = cc.congestion_window();
  cc.on_spurious_loss(spurious_loss_event{.now = t0 + 410ms, .packet_number = 30, .bytes = 1200});
  CHECK(cc.congestion_window() == after_second);
}

TEST_CASE("new_reno: an ECN congestion signal reduces like a loss and is not undone") {
  new_reno cc{config()};
  cc.on_ack(ev::ack(t0 + 100ms, 12000, t0, 100ms));
  cc.on_ecn(ecn_event{.now = t0 + 200ms, .ce_increase = 1, .largest_acked_sent_time = t0 + 150ms});
  CHECK(cc.congestion_window() == 12000);
  CHECK(cc.in_recovery());
}

TEST_CASE("new_reno: no growth from app-limited samples") {
  new_reno cc{config()};
  auto e = ev::ack(t0 + 100ms, 12000, t0, 100ms);
  e.sample.is_app_limited = true;
  cc.on_ack(e);
  CHECK(cc.congestion_window() == 12000);
}

TEST_CASE("new_reno: the window survives idle by default, and restarts when configured") {
  for (const bool restart : {false, true}) {
    controller_config c = config();
    c.slow_start_after_idle = restart;
    new_reno cc{c};
    cc.on_packet_sent(ev::sent(t0, 0, 1200, 0));
    cc.on_ack(ev::ack(t0 + 100ms, 36000, t0, 100ms)); // 48000
    CHECK(cc.congestion_window() == 48000);
    cc.on_packet_sent(ev::sent(t0 + 10s, 31, 1200, 0)); // idle 10 s, far beyond the RTO
    CHECK(cc.congestion_window() == (restart ? 12000u : 48000u));
  }
}
