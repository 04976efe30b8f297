// Message flows: independent ordering per flow, unordered delivery, the
// shared receive budget, the bound on flows a peer can open, and how the
// sender shares packets between flows (priority classes, then weights).
#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/message_flow_receiver.hpp"
#include "stream/message_flow_sender.hpp"
#include "stream/stream_errc.hpp"

#include <chrono>
#include <map>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::duration;
using tern::message_flow_options;
using tern::message_options;
using tern::time_point;
using tern::stream::test::pattern;
using kind = message_event::kind;

namespace {
time_point at(duration d) { return time_point{} + d; }
constexpr duration owd = 50ms;

std::error_code feed(message_flow_receiver& r, std::uint64_t flow, std::uint64_t id,
                     const std::vector<std::byte>& msg, std::uint64_t off, std::uint64_t len, bool unordered,
                     time_point now = at(0ms)) {
  return r.on_fragment(flow, id, msg.size(), off, std::span{msg}.subspan(off, len), 10s, now, unordered);
}
} // namespace

TEST_CASE("message_flows: an unordered message is delivered whole ahead of an earlier one being repaired") {
  message_flow_receiver r;
  const auto m0 = pattern(2000), m1 = pattern(1500, 7), m2 = pattern(100, 9);
  CHECK_FALSE(feed(r, 1, 0, m0, 0, 1000, true)); // message 0 misses its second half
  CHECK_FALSE(feed(r, 1, 1, m1, 0, 1500, true));
  auto e = r.poll(at(1ms));
  REQUIRE(e);
  CHECK(e->what == kind::delivered);
  CHECK(e->flow == 1);
  CHECK(e->id == 1);
  CHECK(e->data == m1);
  CHECK_FALSE(r.poll(at(1ms)));
  // Message 2 is lost and abandoned; the repair of 0 arrives.
  r.on_abandon(1, 2, drop_reason::abandoned);
  CHECK_FALSE(feed(r, 1, 0, m0, 1000, 1000, true));
  e = r.poll(at(2ms));
  REQUIRE(e);
  CHECK(e->id == 0);
  CHECK(e->data == m0);
  // Message 1 is not delivered twice; the drop of 2 follows in id order.
  e = r.poll(at(2ms));
  REQUIRE(e);
  CHECK(e->what == kind::dropped);
  CHECK(e->id == 2);
  CHECK(e->count == 1);
  CHECK_FALSE(r.poll(at(2ms)));
  CHECK(r.stats().delivered == 2);
  CHECK(r.buffered() == 0);
  // A late copy of message 1 is a duplicate, not a second delivery.
  CHECK_FALSE(feed(r, 1, 1, m1, 0, 1500, true));
  CHECK_FALSE(r.poll(at(3ms)));
}

TEST_CASE("message_flows: ordered flows wait only for their own earlier messages") {
  message_flow_receiver r;
  const auto video0 = pattern(3000), video1 = pattern(3000, 3), audio0 = pattern(160, 5);
  CHECK_FALSE(feed(r, 1, 0, video0, 0, 1200, false)); // video frame 0 incomplete
  CHECK_FALSE(feed(r, 1, 1, video1, 0, 3000, false)); // frame 1 whole, waits (ordered)
  CHECK_FALSE(feed(r, 0, 0, audio0, 0, 160, false));  // audio: another flow, not held
  auto e = r.poll(at(1ms));
  REQUIRE(e);
  CHECK(e->flow == 0);
  CHECK(e->data == audio0);
  CHECK_FALSE(r.poll(at(1ms))); // video 1 waits for video 0
  CHECK_FALSE(feed(r, 1, 0, video0, 1200, 1800, false));
  CHECK(r.poll(at(2ms))->id == 0);
  CHECK(r.poll(at(2ms))->id == 1);
  CHECK(r.flows_in_use() == 2);
}

TEST_CASE("message_flows: a flow id beyond the bound is a protocol violation and costs nothing") {
  message_flow_receiver r;
  const auto m = pattern(10);
  CHECK(feed(r, tern::max_message_flows, 0, m, 0, 10, false) == stream_errc::protocol_violation);
  CHECK(feed(r, std::uint64_t{1} << 61, 0, m, 0, 10, false) == stream_errc::protocol_violation);
  CHECK(r.on_abandon(99, 0, drop_reason::abandoned) == stream_errc::protocol_violation);
  CHECK(r.flows_in_use() == 0);
  CHECK_FALSE(feed(r, tern::max_message_flows - 1, 0, m, 0, 10, false));
  CHECK(r.flows_in_use() == 1);
}

TEST_CASE("message_flows: every flow together stays within one byte and range budget") {
  message_receiver_config cfg;
  cfg.max_buffered_bytes = 10'000;
  cfg.max_held_ranges = 64;
  message_flow_receiver r{cfg};
  const auto big = pattern(4000);
  // Partial messages on every flow: the first two fit, the rest are dropped
  // (no_memory) instead of taking 16 times the budget.
  for (std::uint64_t f = 0; f < tern::max_message_flows; ++f) CHECK_FALSE(feed(r, f, 0, big, 0, 10, false));
  CHECK(r.buffered() == 8000);
  std::uint64_t no_memory = 0;
  while (auto e = r.poll(at(1ms))) no_memory += e->per_reason[static_cast<std::size_t>(drop_reason::no_memory)];
  CHECK(no_memory == tern::max_message_flows - 2);
  // Holes: one-byte fragments on two flows share the 64-range cap.
  const auto small = pattern(1000);
  for (std::uint64_t off = 20; off < 1000; off += 2) {
    (void)feed(r, 0, 0, big, off, 1, false);
    (void)feed(r, 1, 0, big, off, 1, false);
  }
  CHECK(r.ranges_held() <= 64);
}

TEST_CASE("message_flows: an abandon storm far ahead costs the window, not the ids named") {
  message_receiver_config cfg;
  cfg.max_pending_messages = 64;
  message_flow_receiver r{cfg};
  for (std::uint64_t id = 0; id < 100'000; id += 7) CHECK_FALSE(r.on_abandon(3, id * 1000, drop_reason::dependency));
  std::uint64_t reported = 0, events = 0;
  while (auto e = r.poll(at(1ms))) {
    reported += e->count;
    ++events;
  }
  CHECK(events < 100); // consecutive drops merge into notices
  CHECK(reported > 0);
}

TEST_CASE("message_flows: the sender rejects flows and options out of range") {
  message_flow_sender s;
  std::error_code ec;
  message_options o;
  o.flow = tern::max_message_flows;
  s.send(pattern(10), at(1s), at(0ms), ec, o);
  CHECK(ec == std::errc::invalid_argument);
  CHECK(s.configure(16, {}) == std::errc::invalid_argument);
  CHECK(s.configure(1, {true, 8, 1}) == std::errc::invalid_argument);
  CHECK(s.configure(1, {true, 0, 0}) == std::errc::invalid_argument);
  CHECK(s.configure(1, {true, 0, 257}) == std::errc::invalid_argument);
  CHECK_FALSE(s.configure(1, {false, 0, 256}));
  // Ids count per flow.
  o.flow = 1;
  CHECK(s.send(pattern(10), at(1s), at(0ms), ec, o) == 0);
  CHECK(s.send(pattern(10), at(1s), at(0ms), ec) == 0);
  CHECK(s.send(pattern(10), at(1s), at(0ms), ec, o) == 1);
  auto f = s.next_fragment(1200, at(0ms), owd, 1);
  REQUIRE(f);
  CHECK(f->flow == 1); // priority 0 goes first
  CHECK(f->unordered);
}

TEST_CASE("message_flows: a higher class goes first, repairs included, and weights share a class") {
  message_flow_sender s;
  REQUIRE_FALSE(s.configure(0, {true, 0, 16})); // audio
  REQUIRE_FALSE(s.configure(1, {false, 2, 48})); // video A, weight 3
  REQUIRE_FALSE(s.configure(2, {false, 2, 16})); // video B, weight 1
  std::error_code ec;
  for (int i = 0; i < 40; ++i) { // 480 kB each: neither runs dry below
    s.send(pattern(12'000), at(10s), at(0ms), ec, {1, std::nullopt});
    s.send(pattern(12'000), at(10s), at(0ms), ec, {2, std::nullopt});
  }
  std::map<int, std::uint64_t> bytes;
  std::uint64_t tag = 0;
  for (int k = 0; k < 400; ++k) {
    auto f = s.next_fragment(1000, at(0ms), owd, ++tag);
    REQUIRE(f);
    bytes[f->flow] += f->data.size();
  }
  // 3:1 within the class, within one fragment either way.
  CHECK(bytes[1] + bytes[2] == 400'000);
  CHECK(bytes[1] >= 299'000);
  CHECK(bytes[1] <= 301'000);
  // Audio arrives: its next fragment is the very next one out.
  s.send(pattern(160), at(10s), at(0ms), ec, {0, std::nullopt});
  auto a = s.next_fragment(1000, at(0ms), owd, ++tag);
  REQUIRE(a);
  CHECK(a->flow == 0);
  // An audio loss is repaired before any more video.
  s.on_lost({a->message_id, a->offset, a->data.size(), 0});
  auto r = s.next_fragment(1000, at(1ms), owd, ++tag);
  REQUIRE(r);
  CHECK(r->flow == 0);
  CHECK(r->retransmission);
  // A flow idle for a while does not get a burst for it: video B, back
  // after A sent alone, shares 1:3 again from the class clock.
  for (int k = 0; k < 20; ++k) (void)s.next_fragment(1000, at(2ms), owd, ++tag);
  CHECK(s.buffered() > 0);
}

TEST_CASE("message_flows: dependency drops reach the receiver with their reason") {
  message_flow_sender tx;
  message_flow_receiver rx;
  std::error_code ec;
  REQUIRE_FALSE(tx.configure(1, {true, 1, 16}));
  tx.send(pattern(2000), at(100ms), at(0ms), ec, {1, std::nullopt}); // I
  tx.send(pattern(500), at(1s), at(0ms), ec, {1, 0});                // P on I
  tx.send(pattern(500), at(1s), at(0ms), ec, {1, 1});                // P on P
  tx.on_timeout(at(100ms));
  while (auto a = tx.poll_abandon()) {
    CHECK(a->flow == 1);
    CHECK_FALSE(rx.on_abandon(a->flow, a->notice.message_id,
                              a->notice.cause == abandon_cause::dependency ? drop_reason::dependency
                                                                            : drop_reason::abandoned));
  }
  auto e = rx.poll(at(101ms));
  REQUIRE(e);
  CHECK(e->what == kind::dropped);
  CHECK(e->flow == 1);
  CHECK(e->id == 0);
  CHECK(e->count == 3);
  CHECK(e->reason == drop_reason::abandoned);
  CHECK(e->per_reason[static_cast<std::size_t>(drop_reason::dependency)] == 2);
  CHECK_FALSE(tx.has_pending(at(101ms), owd));
}

TEST_CASE("message_flows: a whole message waiting its turn is dropped by a dependency abandon, kept by a deadline one") {
  message_flow_receiver r;
  const auto m = pattern(100);
  CHECK_FALSE(feed(r, 2, 1, m, 0, 100, false)); // whole, waits for id 0
  CHECK_FALSE(feed(r, 2, 2, m, 0, 100, false)); // whole, waits too
  CHECK(r.on_abandon(2, 0, drop_reason::abandoned) == std::error_code{});
  CHECK(r.on_abandon(2, 1, drop_reason::dependency) == std::error_code{});
  CHECK(r.on_abandon(2, 2, drop_reason::abandoned) == std::error_code{});
  auto e = r.poll(at(1ms));
  REQUIRE(e);
  CHECK(e->what == kind::dropped);
  CHECK(e->count == 2);
  CHECK(e->per_reason[static_cast<std::size_t>(drop_reason::dependency)] == 1);
  e = r.poll(at(1ms));
  REQUIRE(e);
  CHECK(e->what == kind::delivered);
  CHECK(e->id == 2);
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_flows: the most urgent class waiting is what queued repair yields to") {
  message_flow_sender s;
  REQUIRE_FALSE(s.configure(1, {true, 0, 1})); // audio
  REQUIRE_FALSE(s.configure(2, {false, 2, 1})); // video
  CHECK_FALSE(s.most_urgent_pending(at(0ms), owd));
  std::error_code ec;
  message_options video;
  video.flow = 2;
  s.send(pattern(3000), at(1s), at(0ms), ec, video);
  REQUIRE_FALSE(ec);
  CHECK(s.most_urgent_pending(at(0ms), owd) == 2);
  message_options audio;
  audio.flow = 1;
  s.send(pattern(100), at(1s), at(0ms), ec, audio);
  CHECK(s.most_urgent_pending(at(0ms), owd) == 0);
  auto f = s.next_fragment(1200, at(0ms), owd, 1); // the audio message, whole
  REQUIRE(f);
  CHECK(f->flow == 1);
  CHECK(s.most_urgent_pending(at(0ms), owd) == 2);
}
