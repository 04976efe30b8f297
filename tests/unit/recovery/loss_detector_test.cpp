#include <doctest/doctest.h>

#include "recovery/errc.hpp"
#include "recovery/loss_detector.hpp"

#include <vector>

using namespace std::chrono_literals;
using tern::duration;
using tern::never;
using tern::time_point;
using namespace tern::recovery;

namespace {

const time_point t0 = time_point{} + 10s;

sent_packet packet(std::uint64_t pn, time_point sent, bool ack_eliciting = true) {
  sent_packet p;
  p.packet_number = pn;
  p.time_sent = sent;
  p.bytes = 1000;
  p.ack_eliciting = ack_eliciting;
  p.in_flight = ack_eliciting;
  p.cookie = pn;
  return p;
}

ack_info ack_of(std::vector<ack_range> ranges, duration delay = 0ms) {
  ack_info a;
  for (const auto& r : ranges) a.push_back(r);
  a.ack_delay = delay;
  return a;
}

std::vector<std::uint64_t> numbers(std::span<const sent_packet> ps) {
  std::vector<std::uint64_t> out;
  for (const auto& p : ps) out.push_back(p.packet_number);
  return out;
}

} // namespace

TEST_CASE("loss_detector: bytes in flight follow sends and acknowledgements") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_packet_sent(packet(1, t0));
  d.on_packet_sent(packet(2, t0, false)); // ACK-only: not tracked
  CHECK(d.bytes_in_flight() == 2000);
  CHECK(d.ack_eliciting_in_flight() == 2);
  const auto& out = d.on_ack_received(ack_of({{0, 2}}), t0 + 100ms);
  CHECK_FALSE(out.error);
  CHECK(numbers(out.acked) == std::vector<std::uint64_t>{0, 1});
  CHECK(out.bytes_acked == 2000);
  CHECK(out.prior_in_flight == 2000);
  CHECK(d.bytes_in_flight() == 0);
  CHECK(out.rtt_updated == false); // the largest acknowledged (2) was not ack-eliciting
  CHECK(d.largest_acked() == 2);
}

TEST_CASE("loss_detector: the RTT sample comes from the largest acknowledged, less ack delay") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_packet_sent(packet(1, t0 + 10ms));
  const auto& out = d.on_ack_received(ack_of({{0, 1}}, 5ms), t0 + 110ms);
  CHECK(out.rtt_updated);
  CHECK(d.rtt().latest_rtt() == 100ms);
  CHECK(d.rtt().smoothed_rtt() == 100ms); // first sample: no ack-delay adjustment
}

TEST_CASE("loss_detector: packet threshold declares packets three behind the largest acknowledged lost") {
  loss_detector d;
  for (std::uint64_t pn = 0; pn < 6; ++pn) d.on_packet_sent(packet(pn, t0 + std::chrono::milliseconds(pn)));
  const auto& out = d.on_ack_received(ack_of({{4, 4}}), t0 + 50ms);
  // 4 - 3 = 1: packets 0 and 1 are lost; 2 and 3 wait on the time threshold.
  CHECK(numbers(out.lost) == std::vector<std::uint64_t>{0, 1});
  CHECK(out.bytes_lost == 2000);
  CHECK(d.bytes_in_flight() == 3000);
  // 4 overtook 0..3, so its 46 ms is no RTT sample (it might be a
  // reordering link's shortcut): the loss timer runs on the initial RTT,
  // packet 2's send time + 9/8 * 333 ms.
  CHECK_FALSE(out.rtt_updated);
  CHECK(d.timer() == t0 + 2ms + duration{374'625'000});
  CHECK(d.oldest_unacknowledged() == 2);
}

TEST_CASE("loss_detector: time threshold declares a packet lost when the loss timer fires") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms); // rtt 100 ms, in order
  d.on_packet_sent(packet(1, t0 + 100ms));
  d.on_packet_sent(packet(2, t0 + 110ms));
  const auto& out = d.on_ack_received(ack_of({{2, 2}, {0, 0}}), t0 + 210ms); // rtt 100 ms again
  CHECK(out.lost.empty());
  const time_point loss_time = t0 + 212'500us; // 1 sent at t0 + 100 ms, + 9/8 * 100 ms
  CHECK(d.timer() == loss_time);
  CHECK(d.on_timeout(loss_time - 1ms).lost.empty()); // early call: nothing
  const auto& t = d.on_timeout(loss_time);
  CHECK(numbers(t.lost) == std::vector<std::uint64_t>{1});
  CHECK(t.probes == 0);
  CHECK(d.bytes_in_flight() == 0);
  CHECK(d.timer() == never);
}

TEST_CASE("loss_detector: an old enough packet is lost on the ACK itself by time threshold") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms); // rtt 100 ms
  d.on_packet_sent(packet(1, t0 + 100ms));
  d.on_packet_sent(packet(2, t0 + 300ms));
  const auto& out = d.on_ack_received(ack_of({{2, 2}, {0, 0}}), t0 + 400ms); // 1 sent 300 ms ago
  CHECK(numbers(out.lost) == std::vector<std::uint64_t>{1});
}

TEST_CASE("loss_detector: a probe timeout fires after the PTO and backs off exponentially") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms); // srtt 100, rttvar 50: PTO 325 ms
  const time_point sent = t0 + 200ms;
  d.on_packet_sent(packet(1, sent));
  CHECK(d.timer() == sent + 325ms);
  const auto& first = d.on_timeout(sent + 325ms);
  CHECK(first.probes == 2);
  CHECK(first.lost.empty());
  CHECK(d.rtt().backoff() == 1);
  CHECK(d.timer() == sent + 650ms);
  // Probes sent; the timer now runs from the latest ack-eliciting packet.
  d.on_packet_sent(packet(2, sent + 325ms));
  d.on_packet_sent(packet(3, sent + 325ms));
  CHECK(d.timer() == sent + 325ms + 650ms);
  d.on_timeout(sent + 975ms);
  CHECK(d.rtt().backoff() == 2);
  CHECK(d.timer() == sent + 325ms + 1300ms); // RTO after backoff: 4 x base
  // An ACK of new data resets the backoff.
  d.on_ack_received(ack_of({{3, 3}}), sent + 1400ms);
  CHECK(d.rtt().backoff() == 0);
}

TEST_CASE("loss_detector: no timer while nothing ack-eliciting is in flight") {
  loss_detector d;
  CHECK(d.timer() == never);
  d.on_packet_sent(packet(0, t0, false));
  CHECK(d.timer() == never);
  CHECK(d.on_timeout(t0 + 10s).probes == 0);
}

TEST_CASE("loss_detector: a packet acknowledged after being declared lost is reported spurious") {
  loss_detector d;
  for (std::uint64_t pn = 0; pn < 5; ++pn) d.on_packet_sent(packet(pn, t0));
  const auto& first = d.on_ack_received(ack_of({{4, 4}}), t0 + 100ms);
  CHECK(numbers(first.lost) == std::vector<std::uint64_t>{0, 1});
  const auto& late = d.on_ack_received(ack_of({{4, 4}, {0, 2}}), t0 + 110ms);
  CHECK(numbers(late.spurious) == std::vector<std::uint64_t>{0, 1});
  CHECK(numbers(late.acked) == std::vector<std::uint64_t>{2});
  // Acknowledged again: nothing new.
  const auto& again = d.on_ack_received(ack_of({{4, 4}, {0, 2}}), t0 + 120ms);
  CHECK(again.acked.empty());
  CHECK(again.spurious.empty());
}

TEST_CASE("loss_detector: losses spanning three PTOs with nothing acknowledged are persistent congestion") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms); // PTO 325 ms: persistent span 975 ms
  // Packets 1..10 sent 150 ms apart over 1.35 s; then 11 is acknowledged.
  for (std::uint64_t pn = 1; pn <= 11; ++pn)
    d.on_packet_sent(packet(pn, t0 + 200ms + std::chrono::milliseconds(150 * (pn - 1))));
  const auto& out = d.on_ack_received(ack_of({{11, 11}, {0, 0}}), t0 + 1800ms);
  CHECK(out.lost.size() == 10);
  CHECK(out.persistent_congestion);
}

TEST_CASE("loss_detector: an acknowledged packet between losses breaks persistent congestion") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms);
  for (std::uint64_t pn = 1; pn <= 11; ++pn)
    d.on_packet_sent(packet(pn, t0 + 200ms + std::chrono::milliseconds(150 * (pn - 1))));
  // 5 was acknowledged: the runs 1-4 and 6-10 each span under 975 ms.
  const auto& out = d.on_ack_received(ack_of({{11, 11}, {5, 5}, {0, 0}}), t0 + 1800ms);
  CHECK(out.lost.size() == 9);
  CHECK_FALSE(out.persistent_congestion);
}

TEST_CASE("loss_detector: losses before the first RTT sample never count as persistent congestion") {
  loss_detector d;
  for (std::uint64_t pn = 0; pn <= 10; ++pn)
    d.on_packet_sent(packet(pn, t0 + std::chrono::milliseconds(200 * pn)));
  const auto& out = d.on_ack_received(ack_of({{10, 10}}), t0 + 2100ms);
  // 10 overtook the others, so there is no RTT sample: 0..7 by the packet
  // threshold, 8 by time on the initial RTT (sent more than 9/8 · 333 ms ago).
  CHECK(out.lost.size() == 9);
  CHECK_FALSE(out.persistent_congestion);
}

TEST_CASE("loss_detector: an ACK of a packet never sent is an error and changes nothing") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  const auto& out = d.on_ack_received(ack_of({{1, 1}}), t0 + 10ms);
  CHECK(out.error == recovery_errc::ack_of_unsent_packet);
  CHECK(d.bytes_in_flight() == 1000);
  CHECK(d.largest_acked() == no_packet);
}

TEST_CASE("loss_detector: malformed ranges are an error") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_packet_sent(packet(1, t0));
  d.on_packet_sent(packet(2, t0));
  CHECK(d.on_ack_received(ack_info{}, t0).error == recovery_errc::invalid_ack_ranges);
  CHECK(d.on_ack_received(ack_of({{0, 0}, {2, 2}}), t0).error == recovery_errc::invalid_ack_ranges);
  CHECK(d.on_ack_received(ack_of({{1, 2}, {0, 0}}), t0).error == recovery_errc::invalid_ack_ranges);
  CHECK(d.on_ack_received(ack_of({{2, 1}}), t0).error == recovery_errc::invalid_ack_ranges);
}

TEST_CASE("loss_detector: the packet window closes at max_unacknowledged and reopens on ACK") {
  loss_config config;
  config.max_unacknowledged = 8;
  loss_detector d{config};
  std::uint64_t pn = 0;
  while (d.packet_window_open(pn)) d.on_packet_sent(packet(pn++, t0));
  CHECK(pn == 7);                     // before any ACK: fewer than 8 numbers past -1
  d.on_packet_sent(packet(pn++, t0)); // 7, sent regardless, for the steps below
  d.on_ack_received(ack_of({{0, 1}}), t0 + 10ms);
  // Largest acknowledged 1: up to 8; oldest outstanding 2: up to 9.
  CHECK(d.packet_window_open(8));
  CHECK_FALSE(d.packet_window_open(9));
  // Declared-lost packets no longer hold the window: oldest outstanding 5
  // allows up to 12 (largest acknowledged 7 would allow 14).
  d.on_ack_received(ack_of({{7, 7}, {0, 1}}), t0 + 20ms); // 2, 3, 4 lost
  CHECK(d.oldest_unacknowledged() == 5);
  CHECK(d.packet_window_open(12));
  CHECK_FALSE(d.packet_window_open(13));
  // Everything acknowledged: the largest acknowledged bounds alone.
  d.on_ack_received(ack_of({{5, 7}, {0, 1}}), t0 + 30ms);
  CHECK(d.oldest_unacknowledged() == no_packet);
  CHECK(d.packet_window_open(14));
  CHECK_FALSE(d.packet_window_open(15));
}

TEST_CASE("loss_detector: the default packet window is 2^15") {
  loss_detector d;
  std::uint64_t pn = 0;
  for (; pn < max_unacknowledged_packets - 1; ++pn) {
    REQUIRE(d.packet_window_open(pn));
    d.on_packet_sent(packet(pn, t0));
  }
  CHECK_FALSE(d.packet_window_open(pn)); // 32767: 2^15 numbers past -1
  d.on_ack_received(ack_of({{0, 0}}), t0 + 10ms);
  CHECK(d.packet_window_open(pn));
  d.on_packet_sent(packet(pn++, t0 + 10ms));
  CHECK_FALSE(d.packet_window_open(pn)); // 32768 - 0 is not below 2^15
}

TEST_CASE("loss_detector: a spurious loss raises the packet threshold to the reordering distance") {
  loss_detector d;
  const time_point sent = t0;
  for (std::uint64_t pn = 0; pn < 20; ++pn) d.on_packet_sent(packet(pn, sent));
  // 0 overtaken by five packets: declared lost by packet threshold...
  const auto& first = d.on_ack_received(ack_of({{1, 5}}), sent + 10ms);
  CHECK(numbers(first.lost) == std::vector<std::uint64_t>{0});
  // ...then it arrives after all.
  d.on_ack_received(ack_of({{0, 5}}), sent + 11ms);
  CHECK(d.packet_threshold() == 6);
  // The same reordering again: 6 overtaken by five is no longer lost.
  const auto& again = d.on_ack_received(ack_of({{7, 11}, {0, 5}}), sent + 12ms);
  CHECK(again.lost.empty());
  // Six behind still is.
  const auto& deeper = d.on_ack_received(ack_of({{7, 12}, {0, 5}}), sent + 13ms);
  CHECK(numbers(deeper.lost) == std::vector<std::uint64_t>{6});
}

TEST_CASE("loss_detector: with adaptation off the packet threshold stays at three") {
  loss_config config;
  config.adaptive_packet_threshold = false;
  loss_detector d{config};
  for (std::uint64_t pn = 0; pn < 10; ++pn) d.on_packet_sent(packet(pn, t0));
  d.on_ack_received(ack_of({{1, 5}}), t0 + 10ms);
  d.on_ack_received(ack_of({{0, 5}}), t0 + 11ms);
  CHECK(d.packet_threshold() == 3);
}

TEST_CASE("loss_detector: a spurious loss declared by time lengthens the time threshold") {
  loss_detector d;
  d.on_packet_sent(packet(0, t0));
  d.on_packet_sent(packet(1, t0 + 1ms));
  d.on_ack_received(ack_of({{1, 1}}), t0 + 101ms); // RTT 100 ms: 0 is lost at t0 + 112.5 ms
  REQUIRE(numbers(d.on_timeout(d.timer()).lost) == std::vector<std::uint64_t>{0});
  d.on_ack_received(ack_of({{0, 1}}), t0 + 120ms); // only late
  CHECK(d.time_threshold() == doctest::Approx(9.0 / 8.0 + 0.125));
  CHECK(d.packet_threshold() == 3);
}

// --- Reordering that is not loss ---

TEST_CASE("loss_detector: a packet that overtook older ones is flagged and sets no min RTT") {
  // 0..9 sent 1 ms apart on a path of 50 ms; a reordering link sends 5 past
  // its delay line, so its ACK comes after 7 ms.
  loss_detector d;
  for (std::uint64_t pn = 0; pn < 10; ++pn) d.on_packet_sent(packet(pn, t0 + std::chrono::milliseconds(pn)));
  const auto& early = d.on_ack_received(ack_of({{5, 5}}), t0 + 12ms);
  CHECK(early.newest_acked_overtook);
  CHECK_FALSE(early.rtt_updated);
  CHECK_FALSE(d.rtt().has_sample());
  CHECK(early.lost.size() == 3); // 0..2 by the packet threshold, spuriously
  // 0..4 arrive on the normal route; the ACK's largest (5) is old news, so
  // the sample comes from 4, which overtook nothing.
  const auto& normal = d.on_ack_received(ack_of({{0, 5}}), t0 + 54ms);
  CHECK_FALSE(normal.newest_acked_overtook);
  CHECK(normal.rtt_updated);
  CHECK(normal.spurious.size() == 3);
  CHECK(d.rtt().min_rtt() == 50ms);
  CHECK(d.rtt().smoothed_rtt() == 50ms);
  d.on_ack_received(ack_of({{0, 7}}), t0 + 57ms);
  // 10 overtakes 8 and 9: neither min RTT nor SRTT takes its 5 ms.
  d.on_packet_sent(packet(10, t0 + 60ms));
  const auto& again = d.on_ack_received(ack_of({{10, 10}, {0, 7}}), t0 + 65ms);
  CHECK(again.newest_acked_overtook);
  CHECK_FALSE(again.rtt_updated);
  CHECK(d.rtt().min_rtt() == 50ms);
  CHECK(d.rtt().smoothed_rtt() == 50ms);
}

TEST_CASE("loss_detector: a packet behind a real loss still gives an RTT sample, but no min RTT") {
  loss_detector d;
  for (std::uint64_t pn = 0; pn < 4; ++pn) d.on_packet_sent(packet(pn, t0 + std::chrono::milliseconds(pn)));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 50ms);
  REQUIRE(d.rtt().min_rtt() == 50ms);
  // 1 was lost; 2 overtook it, and took the path's RTT and a bit more.
  const auto& out = d.on_ack_received(ack_of({{2, 2}, {0, 0}}), t0 + 54ms);
  CHECK(out.newest_acked_overtook);
  CHECK(out.rtt_updated);
  CHECK(d.rtt().latest_rtt() == 52ms);
  CHECK(d.rtt().min_rtt() == 50ms);
}

TEST_CASE("loss_detector: reordering beyond the packet threshold's cap leaves detection to time") {
  loss_config config;
  config.max_packet_threshold = 8;
  loss_detector d{config};
  for (std::uint64_t pn = 0; pn <= 20; ++pn) d.on_packet_sent(packet(pn, t0));
  d.on_ack_received(ack_of({{0, 0}}), t0 + 100ms);
  // 20 overtook 1..19: 1..17 are declared lost by the packet threshold...
  const auto& early = d.on_ack_received(ack_of({{20, 20}, {0, 0}}), t0 + 101ms);
  CHECK(early.lost.size() == 17);
  // ...and all arrive: a reordering distance of 20, beyond the cap of 8.
  const auto& late = d.on_ack_received(ack_of({{0, 20}}), t0 + 102ms);
  CHECK(late.spurious.size() == 17);
  CHECK(d.packet_threshold() == no_packet_threshold);
  // From now on an early arrival does not make the packets it overtook lost;
  // time still does.
  for (std::uint64_t pn = 21; pn <= 40; ++pn) d.on_packet_sent(packet(pn, t0 + 110ms));
  const auto& next = d.on_ack_received(ack_of({{40, 40}, {0, 20}}), t0 + 120ms);
  CHECK(next.lost.empty());
  CHECK(d.timer() != never);
  CHECK(d.on_timeout(d.timer()).lost.size() == 19);
}
