#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"
#include "support/seed.hpp"

#include "stream/message_receiver.hpp"
#include "stream/message_sender.hpp"
#include "stream/stream_errc.hpp"

#include <tern/random.hpp>

#include <chrono>
#include <deque>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::stream::test::pattern;

namespace {
time_point at(duration d) { return time_point{} + d; }
fragment_ref ref(const message_fragment& f) { return {f.message_id, f.offset, f.data.size()}; }
constexpr duration owd = 100ms; // 200 ms RTT path
} // namespace

TEST_CASE("message_sender: fragments fit the space given, carry id, length, offset and ttl") {
  message_sender s;
  std::error_code ec;
  const auto msg = pattern(5000);
  CHECK(s.send(msg, at(400ms), at(0ms), ec) == 0);
  CHECK_FALSE(ec);
  CHECK(s.send(pattern(10), at(400ms), at(0ms), ec) == 1);
  std::vector<std::byte> joined;
  for (std::uint64_t expect = 0; expect < 5000; expect += 1200) {
    auto f = s.next_fragment(1200, at(10ms), owd, expect);
    REQUIRE(f);
    CHECK(f->message_id == 0);
    CHECK(f->message_length == 5000);
    CHECK(f->offset == expect);
    CHECK(f->data.size() == std::min<std::uint64_t>(1200, 5000 - expect));
    CHECK(f->ttl == 390ms);
    CHECK_FALSE(f->retransmission);
    joined.insert(joined.end(), f->data.begin(), f->data.end());
  }
  CHECK(joined == msg);
  auto g = s.next_fragment(1200, at(10ms), owd, 99);
  REQUIRE(g);
  CHECK(g->message_id == 1);
  CHECK_FALSE(s.next_fragment(1200, at(10ms), owd, 100));
  CHECK(s.stats().fragments_sent == 6);
}

TEST_CASE("message_sender: acknowledged messages are retired, never abandoned") {
  message_sender s;
  std::error_code ec;
  s.send(pattern(2000), at(400ms), at(0ms), ec);
  auto a = *s.next_fragment(1000, at(0ms), owd, 1);
  auto b = *s.next_fragment(1000, at(0ms), owd, 2);
  CHECK(s.buffered() == 2000);
  s.on_acked(ref(b));
  CHECK(s.in_progress() == 1);
  s.on_acked(ref(a));
  CHECK(s.in_progress() == 0);
  CHECK(s.buffered() == 0);
  CHECK(s.stats().messages_acked == 1);
  s.on_timeout(at(1s));
  CHECK_FALSE(s.poll_abandon());
  CHECK(s.next_timeout() == tern::never);
  s.on_lost(ref(a)); // late feedback for a retired message: ignored
  CHECK_FALSE(s.has_pending(at(1s), owd));
}

TEST_CASE("message_sender: rejects empty, oversize, late and over-budget messages") {
  message_sender s{{.max_message_size = 100, .max_buffered_bytes = 150}};
  std::error_code ec;
  s.send({}, at(1s), at(0ms), ec);
  CHECK(ec == std::errc::invalid_argument);
  s.send(pattern(101), at(1s), at(0ms), ec);
  CHECK(ec == stream_errc::message_too_large);
  s.send(pattern(10), at(0ms), at(0ms), ec);
  CHECK(ec == stream_errc::deadline_passed);
  CHECK(s.send(pattern(100), at(1s), at(0ms), ec) == 0);
  CHECK_FALSE(ec);
  s.send(pattern(51), at(1s), at(0ms), ec);
  CHECK(ec == stream_errc::buffer_full);
  CHECK(s.send(pattern(50), at(1s), at(0ms), ec) == 1); // ids stay sequential
}

TEST_CASE("message_sender: lost fragments are offered again only while they can arrive in time") {
  message_sender s{{.duplicate_last_chance = false}};
  std::error_code ec;
  s.send(pattern(3000), at(1000ms), at(0ms), ec);
  auto a = *s.next_fragment(1000, at(0ms), owd, 1);
  auto b = *s.next_fragment(1000, at(0ms), owd, 2);
  auto c = *s.next_fragment(1000, at(0ms), owd, 3);
  s.on_acked(ref(a));
  s.on_lost(ref(c));
  s.on_lost(ref(b));
  // Lowest offset first, flagged as retransmissions.
  auto rb = s.next_fragment(1000, at(225ms), owd, 4);
  REQUIRE(rb);
  CHECK(rb->offset == 1000);
  CHECK(rb->retransmission);
  CHECK(rb->ttl == 775ms);
  // At 901 ms a fragment would arrive at 1001 ms, after the deadline.
  CHECK(s.has_pending(at(900ms), owd));
  CHECK_FALSE(s.has_pending(at(901ms), owd));
  CHECK_FALSE(s.next_fragment(1000, at(901ms), owd, 5));
  CHECK(s.next_timeout() == at(1000ms));
  // The deadline passes: abandoned, a MESSAGE_ABANDON to send reliably.
  s.on_timeout(at(1000ms));
  CHECK(s.poll_abandon() == abandon_notice{0, abandon_cause::deadline});
  CHECK_FALSE(s.poll_abandon());
  s.on_abandon_lost({0, abandon_cause::deadline});
  CHECK(s.poll_abandon() == abandon_notice{0, abandon_cause::deadline});
  CHECK(s.stats().messages_abandoned == 1);
  CHECK(s.buffered() == 0);
  s.on_acked(ref(*rb)); // too late: ignored
  CHECK(s.stats().messages_acked == 0);
}

TEST_CASE("message_sender: a last-chance retransmission is sent twice, in two packets") {
  // 200 ms RTT, 400 ms deadline. The original goes at 0; its loss is known
  // at ~225 ms (9/8 RTT). A retransmission at 225 ms arrives at 325 ms, but
  // a second repair would only arrive at 225 + 225 + 100 = 550 ms: this is
  // the last chance, so it goes twice.
  message_sender s;
  std::error_code ec;
  s.send(pattern(800), at(400ms), at(0ms), ec);
  auto orig = *s.next_fragment(1200, at(0ms), owd, 10);
  s.on_lost(ref(orig));
  auto r1 = s.next_fragment(1200, at(225ms), owd, 11);
  REQUIRE(r1);
  CHECK(r1->retransmission);
  CHECK_FALSE(r1->duplicate);
  CHECK_FALSE(s.next_fragment(1200, at(225ms), owd, 11)); // never twice in one packet
  auto r2 = s.next_fragment(1200, at(226ms), owd, 12);
  REQUIRE(r2);
  CHECK(r2->duplicate);
  CHECK(r2->offset == r1->offset);
  CHECK(r2->data.size() == r1->data.size());
  CHECK_FALSE(s.next_fragment(1200, at(226ms), owd, 13));
  CHECK(s.stats().duplicates == 1);
  // One copy lost, the other still out: nothing to repair yet.
  s.on_lost(ref(*r1));
  CHECK_FALSE(s.has_pending(at(230ms), owd));
  // Both lost, and still time for one arrival (at 250 + 100 <= 400): again.
  s.on_lost(ref(*r2));
  auto r3 = s.next_fragment(1200, at(250ms), owd, 14);
  REQUIRE(r3);
  CHECK(r3->retransmission);
}

TEST_CASE("message_sender: no duplicate when there is time for another round") {
  message_sender s;
  std::error_code ec;
  s.send(pattern(800), at(1000ms), at(0ms), ec);
  auto orig = *s.next_fragment(1200, at(0ms), owd, 1);
  s.on_lost(ref(orig));
  auto r1 = s.next_fragment(1200, at(225ms), owd, 2); // 225 + 325 = 550 <= 1000
  REQUIRE(r1);
  CHECK_FALSE(s.next_fragment(1200, at(226ms), owd, 3));
  CHECK(s.stats().duplicates == 0);
}

TEST_CASE("message_sender: a pending duplicate that does not fit is split across packets") {
  message_sender s;
  std::error_code ec;
  s.send(pattern(1000), at(400ms), at(0ms), ec);
  auto orig = *s.next_fragment(1000, at(0ms), owd, 1);
  s.on_lost(ref(orig));
  auto r1 = *s.next_fragment(1000, at(225ms), owd, 2);
  auto d1 = s.next_fragment(600, at(226ms), owd, 3);
  REQUIRE(d1);
  CHECK(d1->duplicate);
  CHECK(d1->data.size() == 600);
  auto d2 = s.next_fragment(600, at(226ms), owd, 4);
  REQUIRE(d2);
  CHECK(d2->offset == 600);
  CHECK(d2->data.size() == 400);
  // Original retransmission lost, both halves of the duplicate acknowledged: complete.
  s.on_lost(ref(r1));
  CHECK_FALSE(s.has_pending(at(230ms), owd));
  s.on_acked(ref(*d1));
  s.on_acked(ref(*d2));
  CHECK(s.stats().messages_acked == 1);
}

namespace {

// 200 ms RTT, independent packet loss `p`, one 1000-byte message per ms with
// a 400 ms deadline; loss detected 225 ms after sending. Returns the number of
// messages the receiver reported dropped.
struct sim_result {
  std::uint64_t delivered = 0, dropped = 0, duplicates = 0;
  bool in_order = true;
};

sim_result simulate(bool duplicate, double p, int messages, std::uint64_t seed) {
  tern::random_source rng{seed};
  message_sender tx{{.duplicate_last_chance = duplicate}};
  message_receiver rx;
  struct event {
    time_point when;
    int kind; // 0 arrive at receiver, 1 ack at sender, 2 loss at sender
    fragment_ref f;
    std::uint64_t length;
    duration ttl;
  };
  std::deque<event> arrive, ack, loss; // each queue is in time order
  const auto payload = pattern(1000);
  std::vector<std::byte> data_copy;
  std::uint64_t tag = 0, expect_id = 0;
  sim_result r;
  for (int ms = 0; ms < messages + 1000; ++ms) {
    const time_point now = at(std::chrono::milliseconds{ms});
    if (ms < messages) {
      std::error_code ec;
      tx.send(payload, now + 400ms, now, ec);
      REQUIRE_FALSE(ec);
    }
    while (!arrive.empty() && arrive.front().when <= now) {
      const auto& e = arrive.front();
      REQUIRE_FALSE(rx.on_fragment(e.f.message_id, e.length, e.f.offset,
                                   std::span{payload}.subspan(e.f.offset, e.f.length), e.ttl, now));
      arrive.pop_front();
    }
    while (!ack.empty() && ack.front().when <= now) {
      tx.on_acked(ack.front().f);
      ack.pop_front();
    }
    while (!loss.empty() && loss.front().when <= now) {
      tx.on_lost(loss.front().f);
      loss.pop_front();
    }
    tx.on_timeout(now);
    while (auto a = tx.poll_abandon()) rx.on_abandon(a->message_id); // abandon delivery assumed reliable, fast
    // One fragment per packet.
    while (auto f = tx.next_fragment(1200, now, owd, ++tag)) {
      if (rng.uniform01() < p) {
        loss.push_back({now + 225ms, 2, ref(*f), f->message_length, f->ttl});
      } else {
        arrive.push_back({now + owd, 0, ref(*f), f->message_length, f->ttl});
        ack.push_back({now + 2 * owd, 1, ref(*f), f->message_length, f->ttl});
      }
    }
    while (auto ev = rx.poll(now)) {
      if (ev->id != expect_id) r.in_order = false;
      if (ev->what == message_event::kind::delivered) {
        ++r.delivered;
        expect_id = ev->id + 1;
      } else {
        r.dropped += ev->count;
        expect_id = ev->id + ev->count;
      }
    }
  }
  r.duplicates = tx.stats().duplicates;
  return r;
}

} // namespace

TEST_CASE("message_sender: at 2% loss, duplicating last-chance retransmissions saves the deadline") {
  constexpr int n = 100'000;
  const auto plain = simulate(false, 0.02, n, tern::test::seed());
  const auto dup = simulate(true, 0.02, n, tern::test::seed());
  CHECK(plain.in_order);
  CHECK(dup.in_order);
  CHECK(plain.delivered + plain.dropped == n);
  CHECK(dup.delivered + dup.dropped == n);
  // Without duplicates a message misses when the original and its one
  // retransmission are lost: p^2 = 0.04%, ~40 of 100 000. With them it needs
  // three losses: p^3, ~1.
  CHECK(plain.dropped >= 15);
  CHECK(dup.dropped <= 6);
  CHECK(dup.duplicates > 1000); // ~one per lost original
}
