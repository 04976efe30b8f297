// Dependencies between deadline messages (message_sender): a message given
// up takes its dependents with it, transitively, before any more of their
// bytes goes out.
#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/message_sender.hpp"

#include <chrono>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::stream::test::pattern;

namespace {
time_point at(duration d) { return time_point{} + d; }
constexpr duration owd = 50ms;

std::vector<abandon_notice> drain_abandons(message_sender& s) {
  std::vector<abandon_notice> out;
  while (auto a = s.poll_abandon()) out.push_back(*a);
  return out;
}
} // namespace

TEST_CASE("message_dependency: a reference frame that misses its deadline takes its GOP along, unsent") {
  message_sender s;
  std::error_code ec;
  // I-frame 0 with a short deadline, P-frames 1-4 each on the one before
  // (a chain), P-frame 5 directly on the I-frame, and 6 independent.
  REQUIRE(s.send(pattern(3000), at(100ms), at(0ms), ec) == 0);
  for (std::uint64_t i = 1; i <= 4; ++i) REQUIRE(s.send(pattern(1000), at(1s), at(0ms), ec, i - 1) == i);
  REQUIRE(s.send(pattern(1000), at(1s), at(0ms), ec, 0) == 5);
  REQUIRE(s.send(pattern(500), at(1s), at(0ms), ec) == 6);
  REQUIRE_FALSE(ec);
  // One fragment of the I-frame and one of P-frame 1 go out.
  auto i0 = s.next_fragment(1200, at(0ms), owd, 1);
  REQUIRE(i0);
  CHECK(i0->message_id == 0);
  // The I-frame misses its deadline before the rest is sent.
  s.on_timeout(at(100ms));
  const auto dropped = drain_abandons(s);
  REQUIRE(dropped.size() == 6);
  CHECK(dropped[0] == abandon_notice{0, abandon_cause::deadline});
  std::vector<bool> seen(7, false);
  for (std::size_t k = 1; k < dropped.size(); ++k) {
    CHECK(dropped[k].cause == abandon_cause::dependency);
    REQUIRE(dropped[k].message_id < 6);
    seen[dropped[k].message_id] = true;
  }
  for (std::uint64_t i = 1; i <= 5; ++i) CHECK(seen[i]);
  CHECK(s.stats().messages_abandoned == 1);
  CHECK(s.stats().messages_dropped_dependency == 5);
  // Only the independent message is left to send: no byte of the GOP.
  std::uint64_t packets = 0;
  while (auto f = s.next_fragment(1200, at(110ms), owd, 10 + packets)) {
    CHECK(f->message_id == 6);
    ++packets;
  }
  CHECK(packets == 1);
  CHECK(s.buffered() == 500);
}

TEST_CASE("message_dependency: a reference whose every byte went out keeps its dependents at its deadline, "
          "unless a loss is known") {
  message_sender s;
  std::error_code ec;
  // The deadline is shorter than the round trip: the I-frame is all sent,
  // its acknowledgement not back yet when the deadline passes.
  REQUIRE(s.send(pattern(1000), at(100ms), at(0ms), ec) == 0);
  REQUIRE(s.send(pattern(1000), at(1s), at(0ms), ec, 0) == 1);
  auto i0 = s.next_fragment(1200, at(0ms), owd, 1);
  REQUIRE(i0);
  CHECK(i0->message_id == 0);
  s.on_timeout(at(100ms));
  CHECK(drain_abandons(s) == std::vector<abandon_notice>{{0, abandon_cause::deadline}});
  CHECK(s.stats().messages_dropped_dependency == 0);
  auto p1 = s.next_fragment(1200, at(100ms), owd, 2);
  REQUIRE(p1);
  CHECK(p1->message_id == 1);
  // A later message may still name the expired one.
  CHECK(s.send(pattern(100), at(1s), at(100ms), ec, 0) == 2);
  CHECK(s.poll_abandon() == std::nullopt);

  // The same with the I-frame's packet declared lost before its deadline:
  // its bytes cannot have arrived, so the dependent goes with it.
  message_sender t;
  REQUIRE(t.send(pattern(1000), at(100ms), at(0ms), ec) == 0);
  REQUIRE(t.send(pattern(1000), at(1s), at(0ms), ec, 0) == 1);
  auto f = t.next_fragment(1200, at(0ms), owd, 1);
  REQUIRE(f);
  t.on_lost({f->message_id, f->offset, f->data.size()});
  t.on_timeout(at(100ms));
  CHECK(drain_abandons(t) ==
        std::vector<abandon_notice>{{0, abandon_cause::deadline}, {1, abandon_cause::dependency}});
}

TEST_CASE("message_dependency: a message queued after its dependency was given up is given up at once") {
  message_sender s;
  std::error_code ec;
  s.send(pattern(100), at(10ms), at(0ms), ec);
  s.on_timeout(at(10ms));
  CHECK(drain_abandons(s).size() == 1);
  const auto id = s.send(pattern(100), at(1s), at(20ms), ec, 0);
  CHECK_FALSE(ec);
  CHECK(id == 1);
  CHECK(drain_abandons(s) == std::vector<abandon_notice>{{1, abandon_cause::dependency}});
  CHECK_FALSE(s.next_fragment(1200, at(20ms), owd, 1));
  CHECK(s.buffered() == 0);
  // And a message on that one too (a chain across the gap).
  CHECK(s.send(pattern(100), at(1s), at(20ms), ec, 1) == 2);
  CHECK(drain_abandons(s) == std::vector<abandon_notice>{{2, abandon_cause::dependency}});
  // An acknowledged dependency is fine.
  s.send(pattern(100), at(1s), at(20ms), ec);
  auto f = s.next_fragment(1200, at(20ms), owd, 2);
  REQUIRE(f);
  s.on_acked({f->message_id, 0, 100});
  CHECK(s.send(pattern(100), at(1s), at(30ms), ec, 3) == 4);
  CHECK_FALSE(ec);
  CHECK(s.poll_abandon() == std::nullopt);
  CHECK(s.next_fragment(1200, at(30ms), owd, 3)->message_id == 4);
}

TEST_CASE("message_dependency: forward, self and too-distant references are refused, not queued") {
  message_sender_config cfg;
  cfg.max_dependency_distance = 8;
  message_sender s{cfg};
  std::error_code ec;
  s.send(pattern(10), at(1s), at(0ms), ec, 0); // self (id 0) is a forward reference
  CHECK(ec == std::errc::invalid_argument);
  for (int i = 0; i < 10; ++i) s.send(pattern(10), at(1s), at(0ms), ec);
  CHECK(s.send(pattern(10), at(1s), at(0ms), ec, 10) == 0);
  CHECK(ec == std::errc::invalid_argument); // the id it would get itself
  s.send(pattern(10), at(1s), at(0ms), ec, 11);
  CHECK(ec == std::errc::invalid_argument);
  s.send(pattern(10), at(1s), at(0ms), ec, 1); // 9 back, beyond 8
  CHECK(ec == std::errc::invalid_argument);
  CHECK(s.send(pattern(10), at(1s), at(0ms), ec, 2) == 10); // 8 back
  CHECK_FALSE(ec);
  CHECK(s.stats().messages_queued == 11);
}

TEST_CASE("message_dependency: a chain of 100000 given up in one pass, each id once") {
  message_sender s;
  std::error_code ec;
  constexpr std::uint64_t n = 100'000;
  s.send(pattern(1), at(10ms), at(0ms), ec);
  for (std::uint64_t i = 1; i < n; ++i) s.send(pattern(1), at(1s), at(0ms), ec, i - 1);
  REQUIRE_FALSE(ec);
  s.on_timeout(at(10ms));
  std::uint64_t count = 0, dependency = 0;
  while (auto a = s.poll_abandon()) {
    ++count;
    dependency += a->cause == abandon_cause::dependency ? 1 : 0;
  }
  CHECK(count == n);
  CHECK(dependency == n - 1);
  CHECK(s.in_progress() == 0);
  CHECK(s.buffered() == 0);
  CHECK_FALSE(s.has_pending(at(10ms), owd));
}

TEST_CASE("message_dependency: a fan of dependents on one message and a diamond are each given up once") {
  message_sender s;
  std::error_code ec;
  s.send(pattern(10), at(10ms), at(0ms), ec);       // 0
  s.send(pattern(10), at(1s), at(0ms), ec, 0);      // 1 on 0
  s.send(pattern(10), at(1s), at(0ms), ec, 0);      // 2 on 0
  s.send(pattern(10), at(1s), at(0ms), ec, 1);      // 3 on 1
  s.send(pattern(10), at(1s), at(0ms), ec, 2);      // 4 on 2
  // 0 misses its deadline; 3 and 4 reach it through different parents.
  s.on_timeout(at(10ms));
  CHECK(drain_abandons(s).size() == 5);
  CHECK(s.stats().messages_dropped_dependency == 4);
}
