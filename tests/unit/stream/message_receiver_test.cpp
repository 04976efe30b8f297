#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"
#include "support/seed.hpp"

#include "stream/message_receiver.hpp"
#include "stream/stream_errc.hpp"

#include <tern/random.hpp>

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

TEST_CASE("message_receiver: fragments arriving after a drop are discarded") {
  message_receiver r;
  const auto m = pattern(100);
  REQUIRE_FALSE(feed(r, 0, m, 0, 50, at(0ms), 100ms));
  REQUIRE_FALSE(feed(r, 1, m, 0, 50, at(0ms), 100ms));
  r.on_abandon(1);
  REQUIRE_FALSE(feed(r, 1, m, 50, 50, at(10ms))); // message 1 was dropped (not yet reported)
  CHECK(r.stats().late_fragments == 1);
  auto a = r.poll(at(100ms)); // 0 expires; 1 was abandoned: two reasons, two events
  REQUIRE(a);
  CHECK(a->id == 0);
  CHECK(a->reason == drop_reason::expired);
  auto b = r.poll(at(100ms));
  REQUIRE(b);
  CHECK(b->id == 1);
  CHECK(b->reason == drop_reason::abandoned);
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

TEST_CASE("message_receiver: memory is bounded; what does not fit is dropped") {
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
