// A hostile peer's message frames (docs/security.md, "Bounds"): what the
// receiver holds for message ids grows with the frames the peer sent, not
// with the ids those frames name. One fragment or MESSAGE_ABANDON far
// ahead on every flow used to open a window slot for every id below it
// (about 120 bytes each: 16 frames held some 2 MB).
#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/message_flow_receiver.hpp"

#include <chrono>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::time_point;
using tern::stream::test::pattern;

namespace {
time_point at(std::chrono::milliseconds d) { return time_point{} + d; }
} // namespace

TEST_CASE("message attack: one fragment at the window's far end on every flow holds one entry per frame") {
  message_flow_receiver r;
  const message_receiver_config defaults;
  const auto m = pattern(10);
  const std::uint64_t far = defaults.max_pending_messages - 1;
  for (std::uint64_t f = 0; f < tern::max_message_flows; ++f)
    REQUIRE_FALSE(r.on_fragment(f, far, m.size(), 0, std::span{m}.first(1), 10s, at(0ms), false));
  CHECK(r.entries_held() == tern::max_message_flows);
  // The abandon form of the same: one entry per frame.
  message_flow_receiver a;
  for (std::uint64_t f = 0; f < tern::max_message_flows; ++f)
    REQUIRE_FALSE(a.on_abandon(f, far, drop_reason::abandoned));
  CHECK(a.entries_held() == tern::max_message_flows);
}

TEST_CASE("message attack: fragments of many messages never completed hold at most the window, and the rest drops") {
  message_receiver r;
  const message_receiver_config defaults;
  const auto m = pattern(100);
  // A million messages, one byte of each: the window moves on (overrun)
  // and never holds more than max_pending_messages ids.
  for (std::uint64_t id = 0; id < 1'000'000; ++id) {
    REQUIRE_FALSE(r.on_fragment(id, m.size(), 0, std::span{m}.first(1), 10s, at(0ms)));
    REQUIRE(r.entries_held() <= defaults.max_pending_messages);
  }
  CHECK(r.buffered() <= defaults.max_pending_messages * m.size());
  CHECK(r.queued_events() <= defaults.max_queued_events);
  std::uint64_t dropped = 0;
  while (auto e = r.poll(at(1ms)))
    if (e->what == message_event::kind::dropped) dropped += e->count;
  CHECK(dropped == 1'000'000 - defaults.max_pending_messages);
  // Their ttl ends them all.
  while (auto e = r.poll(at(11s)))
    if (e->what == message_event::kind::dropped) dropped += e->count;
  CHECK(dropped == 1'000'000);
  CHECK(r.buffered() == 0);
  CHECK(r.entries_held() == 0);
}
