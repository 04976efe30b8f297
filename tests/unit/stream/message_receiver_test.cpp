#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"
#include "support/seed.hpp"

#include "stream/message_receiver.hpp"
#include "stream/stream_errc.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::stream::test::pattern;
using kind = message_event::kind;

namespace {
time_point at(duration d) { return time_point{} + d; }

// Feeds fragment [off, off + len) of `msg` (id `id`) with a long ttl.
std::error_code feed(message_receiver& r, std::uint64_t id, const std::vector<std::byte>& msg,
                     std::uint64_t off, std::uint64_t len, time_point now = at(0ms), duration ttl = 10s) {
  return r.on_fragment(id, msg.size(), off, std::span{msg}.subspan(off, len), ttl, now);
}
} // namespace

TEST_CASE("message_receiver: shuffled and duplicated fragments of many messages reassemble in id order") {
  tern::random_source rng{tern::test::seed()};
  constexpr int count = 50;
  std::vector<std::vector<std::byte>> msgs;
  struct frag {
    std::uint64_t id, off, len;
  };
  std::vector<frag> frags;
  for (int i = 0; i < count; ++i) {
    msgs.push_back(tern::stream::test::random_bytes(rng, 1 + rng.uniform(20'000)));
    const std::uint64_t size = msgs.back().size();
    for (std::uint64_t off = 0; off < size;) {
      const std::uint64_t len = std::min<std::uint64_t>(size - off, 1 + rng.uniform(1200));
      frags.push_back({static_cast<std::uint64_t>(i), off, len});
      if (rng.uniform(5) == 0) frags.push_back(frags.back()); // duplicate
      off += len;
    }
  }
  for (std::size_t i = frags.size() - 1; i > 0; --i) std::swap(frags[i], frags[rng.uniform(i + 1)]);
  message_receiver r;
  std::vector<std::vector<std::byte>> out;
  for (const auto& f : frags) {
    REQUIRE_FALSE(feed(r, f.id, msgs[f.id], f.off, f.len));
    while (auto ev = r.poll(at(0ms))) {
      REQUIRE(ev->what == kind::delivered);
      CHECK(ev->id == out.size());
      out.push_back(std::move(ev->data));
    }
  }
  CHECK(out == msgs);
  CHECK(r.stats().duplicate_fragments > 0);
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_receiver: a complete message waits for the earlier ones") {
  message_receiver r;
  const auto m0 = pattern(100), m1 = pattern(50, 7);
  REQUIRE_FALSE(feed(r, 1, m1, 0, 50));
  CHECK_FALSE(r.poll(at(0ms)));
  REQUIRE_FALSE(feed(r, 0, m0, 50, 50));
  CHECK_FALSE(r.poll(at(0ms)));
  REQUIRE_FALSE(feed(r, 0, m0, 0, 50));
  auto a = r.poll(at(0ms));
  auto b = r.poll(at(0ms));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id == 0);
  CHECK(a->data == m0);
  CHECK(b->id == 1);
  CHECK(b->data == m1);
  CHECK(r.next_id() == 2);
}

TEST_CASE("message_receiver: an abandoned message is reported dropped and delivery moves on") {
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 40));
  REQUIRE_FALSE(feed(r, 1, m, 0, 100));
  r.on_abandon(0);
  auto a = r.poll(at(0ms));
  REQUIRE(a);
  CHECK(a->what == kind::dropped);
  CHECK(a->id == 0);
  CHECK(a->count == 1);
  CHECK(a->reason == drop_reason::abandoned);
  auto b = r.poll(at(0ms));
  REQUIRE(b);
  CHECK(b->what == kind::delivered);
  CHECK(b->id == 1);
  // A message never seen at all, abandoned: dropped too.
  r.on_abandon(2);
  auto c = r.poll(at(0ms));
  REQUIRE(c);
  CHECK(c->what == kind::dropped);
  CHECK(c->id == 2);
  // Abandon of a message already complete: it is still delivered.
  REQUIRE_FALSE(feed(r, 4, m, 0, 100));
  REQUIRE_FALSE(feed(r, 3, m, 0, 100));
  r.on_abandon(3);
  CHECK(r.poll(at(0ms))->what == kind::delivered);
  CHECK(r.poll(at(0ms))->id == 4);
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_receiver: a message is dropped when its ttl from the first fragment elapses") {
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 50, at(10ms), 100ms)); // expires at 110 ms
  REQUIRE_FALSE(feed(r, 0, m, 50, 10, at(50ms), 60ms)); // later fragments do not move it
  REQUIRE_FALSE(feed(r, 1, m, 0, 100, at(20ms), 300ms));
  CHECK(r.next_timeout() == at(110ms));
  CHECK_FALSE(r.poll(at(109ms)));
  auto a = r.poll(at(110ms));
  REQUIRE(a);
  CHECK(a->what == kind::dropped);
  CHECK(a->reason == drop_reason::expired);
  CHECK(a->id == 0);
  auto b = r.poll(at(110ms));
  REQUIRE(b);
  CHECK(b->what == kind::delivered);
  CHECK(b->id == 1);
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_receiver: a ttl reaching past the end of time never expires (no overflow)") {
  // Found by connection_fuzz: a DATAGRAM frame's ttl near 2^63 ns overflowed now + ttl.
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 50, at(41ms), duration::max() - 807ns));
  REQUIRE_FALSE(feed(r, 1, m, 0, 100, at(42ms), duration::max()));
  CHECK(r.next_timeout() == tern::never);
  CHECK_FALSE(r.poll(at(24h)));
  REQUIRE_FALSE(feed(r, 0, m, 50, 50, at(24h), 10ms));
  auto a = r.poll(at(24h));
  REQUIRE(a);
  CHECK(a->what == kind::delivered);
  CHECK(a->id == 0);
}

TEST_CASE("message_receiver: fragments arriving after a drop are discarded") {
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 50, at(0ms), 100ms));
  REQUIRE_FALSE(feed(r, 1, m, 0, 50, at(0ms), 100ms));
  r.on_abandon(1);
  REQUIRE_FALSE(feed(r, 1, m, 50, 50, at(10ms))); // message 1 was dropped (not yet reported)
  CHECK(r.stats().late_fragments == 1);
  auto a = r.poll(at(100ms)); // 0 expires; 1 was abandoned: two reasons, one notice
  REQUIRE(a);
  CHECK(a->id == 0);
  CHECK(a->count == 2);
  CHECK(a->reason == drop_reason::expired); // the first id's
  CHECK(a->per_reason[static_cast<std::size_t>(drop_reason::expired)] == 1);
  CHECK(a->per_reason[static_cast<std::size_t>(drop_reason::abandoned)] == 1);
  REQUIRE_FALSE(feed(r, 0, m, 50, 50, at(120ms))); // the rest of message 0, too late
  CHECK(r.stats().late_fragments == 2);
  CHECK_FALSE(r.poll(at(120ms)));
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_receiver: inconsistent lengths and fragments past the end are protocol violations") {
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 10));
  CHECK(r.on_fragment(0, 99, 10, std::span{m}.subspan(10, 10), 1s, at(0ms)) ==
        stream_errc::protocol_violation);
  CHECK(r.on_fragment(1, 50, 45, std::span{m}.first(10), 1s, at(0ms)) == stream_errc::protocol_violation);
  CHECK(r.on_fragment(1, 50, 51, {}, 1s, at(0ms)) == stream_errc::protocol_violation);
  CHECK(r.on_fragment(2, UINT64_MAX, UINT64_MAX - 1, std::span{m}.first(10), 1s, at(0ms)) ==
        stream_errc::protocol_violation);
}

TEST_CASE("message_receiver: memory is bounded, what does not fit is dropped") {
  message_receiver r{{.max_message_size = 1000, .max_buffered_bytes = 1500, .max_pending_messages = 1024}};
  const auto big = pattern(1001), m = pattern(1000);
  REQUIRE_FALSE(feed(r, 0, big, 0, 100)); // too large
  REQUIRE_FALSE(feed(r, 1, m, 0, 100));   // 1000 buffered
  REQUIRE_FALSE(feed(r, 2, m, 0, 100));   // would be 2000 > 1500
  CHECK(r.buffered() == 1000);
  auto a = r.poll(at(0ms));
  REQUIRE(a);
  CHECK(a->id == 0);
  CHECK(a->reason == drop_reason::no_memory);
  REQUIRE_FALSE(feed(r, 1, m, 100, 900));
  CHECK(r.poll(at(0ms))->what == kind::delivered);
  auto c = r.poll(at(0ms));
  REQUIRE(c);
  CHECK(c->id == 2);
  CHECK(c->reason == drop_reason::no_memory);
  CHECK(r.buffered() == 0);
}

TEST_CASE("message_receiver: a sender far ahead forces delivery forward, drops come as runs") {
  message_receiver r{{.max_message_size = 1000, .max_buffered_bytes = 100'000, .max_pending_messages = 4}};
  const auto m = pattern(10);
  REQUIRE_FALSE(feed(r, 1, m, 0, 10)); // complete, waiting for 0
  REQUIRE_FALSE(feed(r, 1'000'000, m, 0, 10));
  auto a = r.poll(at(0ms));
  REQUIRE(a);
  CHECK(a->what == kind::dropped);
  CHECK(a->id == 0);
  CHECK(a->reason == drop_reason::overrun);
  auto b = r.poll(at(0ms));
  CHECK(b->what == kind::delivered);
  CHECK(b->id == 1);
  auto c = r.poll(at(0ms));
  CHECK(c->what == kind::dropped);
  CHECK(c->id == 2);
  CHECK(c->id + c->count == 1'000'000 - 3); // ids up to the new window, one event
  CHECK(r.next_id() == 1'000'000 - 3);
  CHECK_FALSE(r.poll(at(0ms)));
  for (std::uint64_t id = 1'000'000 - 3; id < 1'000'000; ++id) r.on_abandon(id);
  auto d = r.poll(at(0ms));
  CHECK(d->what == kind::dropped);
  CHECK(d->count == 3); // three abandoned ids merged
  CHECK(r.poll(at(0ms))->id == 1'000'000);
  CHECK(r.stats().dropped == 1'000'000 - 1);
}

// Issue 17: one-byte fragments with holes are bounded all messages together.
TEST_CASE("message_receiver: fragment ranges stop at max_held_ranges, the message beyond is dropped") {
  message_receiver r{{.max_held_ranges = 100}};
  const auto m = pattern(1000);
  // Message 0 keeps 60 holes; message 1 then reaches the cap and is dropped.
  for (std::uint64_t k = 60; k-- > 0;) REQUIRE_FALSE(feed(r, 0, m, 2 * k + 1, 1));
  CHECK(r.ranges_held() == 60);
  for (std::uint64_t k = 500; k-- > 0;) {
    REQUIRE_FALSE(feed(r, 1, m, 2 * k + 1, 1));
    CHECK(r.ranges_held() <= 100);
  }
  CHECK(r.ranges_held() == 60); // message 1's ranges went with it
  CHECK(r.stats().late_fragments > 0);
  // Message 0 still completes; message 1 is reported dropped for memory.
  for (std::uint64_t off = 0; off < 120; off += 2) REQUIRE_FALSE(feed(r, 0, m, off, 1));
  CHECK(r.ranges_held() == 1);
  REQUIRE_FALSE(feed(r, 0, m, 120, 880));
  CHECK(r.ranges_held() == 0);
  auto a = r.poll(at(0ms));
  REQUIRE(a);
  CHECK(a->what == kind::delivered);
  CHECK(a->data == m);
  auto b = r.poll(at(0ms));
  REQUIRE(b);
  CHECK(b->what == kind::dropped);
  CHECK(b->id == 1);
  CHECK(b->reason == drop_reason::no_memory);
}

// Issue 17: an application that never reads (tern-cp) made the queue of
// decided events grow with every message.
TEST_CASE("message_receiver: an application that never reads holds at most max_queued_events") {
  message_receiver r{{.max_pending_messages = 4, .max_queued_events = 16}};
  const auto m = pattern(1);
  constexpr std::uint64_t n = 100'000;
  std::size_t most = 0;
  for (std::uint64_t id = 0; id < n; ++id) {
    REQUIRE_FALSE(feed(r, id, m, 0, 1));
    most = std::max(most, r.queued_events());
  }
  CHECK(most <= 16);
  CHECK(r.buffered() <= 16 + 4); // the freed messages' bytes are released
  // Reading now: every id is accounted for, in order, in few events, and
  // the newest messages are still there.
  std::uint64_t next = 0, delivered = 0, dropped = 0, events = 0;
  while (auto ev = r.poll(at(0ms))) {
    ++events;
    CHECK(ev->id == next);
    if (ev->what == kind::dropped) {
      CHECK(ev->per_reason[static_cast<std::size_t>(drop_reason::no_memory)] == ev->count);
      dropped += ev->count;
    } else {
      CHECK(ev->data == m);
      ++delivered;
    }
    next = ev->id + ev->count;
  }
  CHECK(next == n);
  CHECK(events <= 16 + 4);
  CHECK(delivered + dropped == n);
  CHECK(delivered >= 4);
  CHECK(r.stats().delivered == delivered);
  CHECK(r.stats().dropped == dropped);
}

TEST_CASE("message_receiver: drops with alternating reasons merge into one notice") {
  message_receiver r{{.max_message_size = 10, .max_pending_messages = 4, .max_queued_events = 16}};
  const auto big = pattern(11);
  constexpr std::uint64_t n = 30'000;
  for (std::uint64_t id = 0; id < n; ++id) {
    if (id % 2 == 0)
      r.on_abandon(id);
    else
      REQUIRE_FALSE(feed(r, id, big, 0, 1)); // too large: no_memory
    CHECK(r.queued_events() <= 1);
  }
  auto a = r.poll(at(0ms));
  REQUIRE(a);
  CHECK(a->what == kind::dropped);
  CHECK(a->id == 0);
  CHECK(a->reason == drop_reason::abandoned);
  const std::uint64_t reported = a->count;
  CHECK(reported >= n - 4);
  CHECK(a->per_reason[static_cast<std::size_t>(drop_reason::abandoned)] +
            a->per_reason[static_cast<std::size_t>(drop_reason::no_memory)] ==
        reported);
  CHECK(a->per_reason[static_cast<std::size_t>(drop_reason::abandoned)] == (reported + 1) / 2);
  auto b = r.poll(at(0ms)); // the rest of the window, one notice too
  REQUIRE(b);
  CHECK(b->id == reported);
  CHECK(b->id + b->count == n);
  CHECK_FALSE(r.poll(at(0ms)));
}
