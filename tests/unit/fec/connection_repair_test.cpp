// fec::connection_repair's block layout on bursty paths (docs/fec.md,
// "Bursty loss"), driven by hand-made packets and loss reports: blocks span
// messages until they are large or old enough, and their repair goes one
// packet behind each message packet instead of all at once, released by a
// timer when no message packet comes.

#include <doctest/doctest.h>

#include "fec/connection_repair.hpp"

#include <array>
#include <vector>

using namespace tern;
using namespace tern::fec;
using namespace std::chrono_literals;

namespace {

constexpr duration srtt = 200ms;

/// A sender whose peer reported `missing` of 2000 packets lost in
/// `events` loss events (past the early phase, so the reports decide).
connection_repair reported(std::uint64_t missing, std::uint64_t events) {
  connection_repair r{repair_policy_config{}};
  r.on_report(wire::repair_report_frame{2000, missing, events, 0});
  return r;
}

struct packets {
  connection_repair& r;
  std::uint64_t number = 1;
  time_point now{};
  std::array<std::byte, 1000> payload{};

  /// A packet with `count` fragments of one message, the last one ending it.
  void message(int count) {
    for (int i = 0; i < count; ++i) {
      sent_source s;
      s.number = number++;
      s.payload = payload;
      s.carries_message = true;
      s.asks = protection{true, 0};
      s.any_message = true;
      s.message_tail = i + 1 == count;
      s.sent_at = now;
      r.on_packet_built(s, srtt);
    }
  }
  /// Writes the due repair into a packet, if one is due.
  bool send_repair() {
    if (!r.repair_due()) return false;
    std::vector<std::byte> buf(1500);
    wire::writer w(buf);
    return r.write_repair(w, buf.size(), number++);
  }
};

} // namespace

TEST_CASE("connection_repair: on random loss a block closes behind each message, repair right behind it") {
  auto r = reported(40, 39); // 2%, mean burst about 1
  packets p{r};
  p.message(8);
  REQUIRE(r.has_repair());
  CHECK(r.repair_due()); // nothing waits
  int sent = 0;
  while (p.send_repair()) ++sent;
  CHECK(sent >= 1);
  CHECK_FALSE(r.has_repair());
}

TEST_CASE("connection_repair: on bursty loss a block spans messages until it holds spanning_sources") {
  auto r = reported(96, 19); // 4.8%, mean burst about 5 (gemodel 1% 20%)
  packets p{r};
  p.message(8);
  CHECK_FALSE(r.has_repair()); // 8 sources: the block stays open over the next message
  p.now += 33ms;
  p.message(8);
  REQUIRE(r.has_repair()); // 16: closed behind the second message
  CHECK(r.stats().blocks_closed == 1);
  CHECK(r.stats().source_packets == 16);
}

TEST_CASE("connection_repair: on bursty loss a spanning block closes behind a message once it is a quarter RTT old") {
  auto r = reported(96, 19);
  packets p{r};
  p.message(2);
  p.now += 20ms;
  p.message(2);
  CHECK_FALSE(r.has_repair());
  p.now += 31ms; // 51 ms after the first source, past srtt / 4
  p.message(2);
  REQUIRE(r.has_repair());
  CHECK(r.stats().source_packets == 6);
}

TEST_CASE("connection_repair: on bursty loss repair goes one packet behind each message packet, then on a timer") {
  auto r = reported(96, 19);
  packets p{r};
  p.message(8);
  p.message(8);
  REQUIRE(r.has_repair());
  const std::size_t queued = r.stats().blocks_closed; // one block
  CHECK(queued == 1);
  // Not right behind the block: it waits for a message packet to go first.
  CHECK_FALSE(r.repair_due());
  CHECK(r.repair_wait_deadline() == p.now + srtt / 4);
  // Next message's packets: exactly one repair after each.
  for (int i = 0; i < 3; ++i) {
    p.now += 1ms;
    sent_source s;
    s.number = p.number++;
    s.payload = p.payload;
    s.any_message = true; // message data, here of an unprotected flow
    s.sent_at = p.now;
    r.on_packet_built(s, srtt);
    CHECK(p.send_repair());
    CHECK_FALSE(r.repair_due());
  }
  // Nothing else to send: the timer releases the rest all at once.
  REQUIRE(r.has_repair());
  r.on_timeout(r.repair_wait_deadline() - 1ms);
  CHECK_FALSE(r.repair_due());
  r.on_timeout(r.repair_wait_deadline());
  CHECK(r.repair_due());
  int rest = 0;
  while (p.send_repair()) ++rest;
  CHECK(rest >= 1);
  CHECK_FALSE(r.has_repair());
  CHECK(r.repair_wait_deadline() == never);
  // 16 sources at a 4.8% rate in bursts of 5: the cap, half a repair per source.
  CHECK(r.stats().repair_packets_sent == 3 + static_cast<std::uint64_t>(rest));
  CHECK(r.stats().repair_packets_sent == 8);
}
