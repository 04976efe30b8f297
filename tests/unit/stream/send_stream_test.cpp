#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"
#include "support/seed.hpp"

#include "stream/recv_stream.hpp"
#include "stream/send_stream.hpp"
#include "stream/stream_errc.hpp"

#include <tern/random.hpp>

#include <vector>

using namespace tern::stream;
using tern::stream::test::pattern;

namespace {
struct sent {
  std::uint64_t offset, length;
  bool fin;
};
sent record(const stream_chunk& c) { return {c.offset, c.data.size(), c.fin}; }
std::size_t write_all(send_stream& s, const std::vector<std::byte>& d) {
  std::error_code ec;
  const auto n = s.write(d, ec);
  REQUIRE_FALSE(ec);
  return n;
}
} // namespace

TEST_CASE("send_stream: writes accept only what fits in the send buffer, acks make room") {
  send_stream s{1 << 20, send_config{.buffer_limit = 1000}};
  const auto data = pattern(1500);
  CHECK(s.writable() == 1000);
  CHECK(write_all(s, data) == 1000);
  CHECK(s.writable() == 0);
  std::error_code ec;
  CHECK(s.write(std::span{data}.subspan(1000), ec) == 0);
  CHECK_FALSE(ec); // full is not an error: zero accepted
  auto c = s.next_chunk(600);
  REQUIRE(c);
  CHECK(c->offset == 0);
  CHECK(c->data.size() == 600);
  CHECK(std::equal(c->data.begin(), c->data.end(), data.begin()));
  CHECK(s.writable() == 0); // sent but unacknowledged bytes still count
  s.on_acked(0, 600, false);
  CHECK(s.writable() == 600);
  CHECK(s.acked_offset() == 600);
  CHECK(s.write(std::span{data}.subspan(1000), ec) == 500);
  CHECK(s.buffered() == 900);
}

TEST_CASE("send_stream: chunks in offset order, FIN on the last chunk or alone") {
  send_stream s{1 << 20};
  const auto data = pattern(2500);
  write_all(s, data);
  CHECK(s.state() == send_state::ready);
  auto a = s.next_chunk(1000);
  auto b = s.next_chunk(1000);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(s.state() == send_state::send);
  CHECK(a->offset == 0);
  CHECK(b->offset == 1000);
  CHECK_FALSE(b->fin);
  CHECK_FALSE(s.finish());
  auto c = s.next_chunk(1000);
  REQUIRE(c);
  CHECK(c->offset == 2000);
  CHECK(c->data.size() == 500);
  CHECK(c->fin);
  CHECK(s.state() == send_state::data_sent);
  CHECK_FALSE(s.next_chunk(1000));
  CHECK_FALSE(s.has_data_to_send());

  send_stream t{1 << 20};
  write_all(t, pattern(10));
  auto d = t.next_chunk(100);
  REQUIRE(d);
  CHECK_FALSE(d->fin);
  t.finish();
  CHECK(t.has_data_to_send());
  auto e = t.next_chunk(100);
  REQUIRE(e);
  CHECK(e->fin);
  CHECK(e->data.empty());
  CHECK(e->offset == 10);
}

TEST_CASE("send_stream: lost ranges go first, in offset order, minus what was acknowledged") {
  send_stream s{1 << 20};
  const auto data = pattern(5000);
  write_all(s, data);
  std::vector<sent> out;
  for (int i = 0; i < 4; ++i) out.push_back(record(*s.next_chunk(1000))); // 0..4000 sent
  s.on_lost(2000, 1000, false);
  s.on_lost(0, 1000, false);
  s.on_acked(500, 200, false); // a late ack inside a lost range (another copy made it)
  auto r1 = s.next_chunk(1000);
  REQUIRE(r1);
  CHECK(r1->retransmission);
  CHECK(r1->offset == 0);
  CHECK(r1->data.size() == 500);
  auto r2 = s.next_chunk(1000);
  CHECK(r2->offset == 700);
  CHECK(r2->data.size() == 300);
  CHECK(std::equal(r2->data.begin(), r2->data.end(), data.begin() + 700));
  auto r3 = s.next_chunk(400);
  CHECK(r3->offset == 2000);
  CHECK(r3->data.size() == 400);
  auto r4 = s.next_chunk(1000);
  CHECK(r4->offset == 2400);
  CHECK(r4->retransmission);
  auto n = s.next_chunk(1000);
  CHECK(n->offset == 4000);
  CHECK_FALSE(n->retransmission);
  // Loss of something already acknowledged queues nothing.
  s.on_acked(3000, 1000, false);
  s.on_lost(3000, 1000, false);
  CHECK_FALSE(s.has_retransmission());
}

TEST_CASE("send_stream: acknowledged bytes are freed, data_recvd once everything and FIN are acked") {
  send_stream s{1 << 20};
  write_all(s, pattern(3000));
  s.finish();
  auto a = record(*s.next_chunk(1000));
  auto b = record(*s.next_chunk(1000));
  auto c = record(*s.next_chunk(1000));
  CHECK(c.fin);
  s.on_acked(b.offset, b.length, b.fin);
  CHECK(s.acked_offset() == 0); // a hole at 0 keeps everything
  CHECK(s.buffered() == 3000);
  s.on_acked(c.offset, c.length, c.fin);
  CHECK(s.state() == send_state::data_sent);
  s.on_acked(a.offset, a.length, a.fin);
  CHECK(s.acked_offset() == 3000);
  CHECK(s.buffered() == 0);
  CHECK(s.state() == send_state::data_recvd);
  CHECK(s.is_closed());
}

TEST_CASE("send_stream: a lost FIN is sent again, alone or with the lost tail") {
  send_stream s{1 << 20};
  write_all(s, pattern(100));
  s.finish();
  auto c = s.next_chunk(1000);
  REQUIRE(c->fin);
  s.on_acked(0, 50, false); // pretend the data went in two frames
  s.on_lost(50, 50, true);
  auto r = s.next_chunk(1000);
  REQUIRE(r);
  CHECK(r->offset == 50);
  CHECK(r->data.size() == 50);
  CHECK(r->fin);
  s.on_lost(r->offset, r->data.size(), false);
  s.on_acked(50, 0, false);
  // FIN-only loss
  send_stream t{1 << 20};
  write_all(t, pattern(10));
  t.next_chunk(100);
  t.finish();
  auto f = t.next_chunk(100);
  REQUIRE(f->fin);
  t.on_acked(0, 10, false);
  t.on_lost(10, 0, true);
  CHECK(t.has_data_to_send());
  auto g = t.next_chunk(100);
  REQUIRE(g);
  CHECK(g->fin);
  CHECK(g->retransmission);
  CHECK(g->data.empty());
  t.on_acked(10, 0, true);
  CHECK(t.state() == send_state::data_recvd);
}

TEST_CASE("send_stream: blocked by MAX_STREAM_DATA, one STREAM_DATA_BLOCKED, unblocked by an update") {
  send_stream s{1500};
  write_all(s, pattern(4000));
  REQUIRE(s.next_chunk(1000));
  auto b = s.next_chunk(1000);
  REQUIRE(b);
  CHECK(b->data.size() == 500);
  CHECK(s.sent_offset() == 1500);
  CHECK_FALSE(s.has_data_to_send());
  CHECK_FALSE(s.next_chunk(1000));
  CHECK(s.poll_data_blocked() == 1500u);
  CHECK_FALSE(s.poll_data_blocked());
  s.on_data_blocked_lost(1500);
  CHECK(s.has_control_pending());
  CHECK(s.poll_data_blocked() == 1500u);
  // Retransmissions are not limited: that credit was used already.
  s.on_lost(0, 1000, false);
  CHECK(s.has_data_to_send());
  auto r = s.next_chunk(1000);
  CHECK(r->retransmission);
  CHECK_FALSE(s.on_max_stream_data(1200)); // smaller: ignored
  CHECK(s.on_max_stream_data(3000));
  auto c = s.next_chunk(5000);
  CHECK(c->offset == 1500);
  CHECK(c->data.size() == 1500);
  CHECK(s.poll_data_blocked() == 3000u);
}

TEST_CASE("send_stream: connection credit limits new data only") {
  send_stream s{1 << 20};
  write_all(s, pattern(3000));
  auto a = s.next_chunk(1000, 300);
  CHECK(a->data.size() == 300);
  CHECK_FALSE(s.next_chunk(1000, 0));
  s.on_lost(0, 300, false);
  auto r = s.next_chunk(1000, 0);
  REQUIRE(r);
  CHECK(r->retransmission);
  CHECK(s.poll_data_blocked() == std::nullopt); // not blocked by the stream's limit
}

TEST_CASE("send_stream: reset queues RESET_STREAM with final size, repeats when lost, ends writes") {
  send_stream s{1 << 20};
  write_all(s, pattern(3000));
  s.next_chunk(1000);
  s.next_chunk(500);
  s.reset(42);
  CHECK(s.state() == send_state::reset_sent);
  CHECK_FALSE(s.has_data_to_send());
  CHECK_FALSE(s.next_chunk(1000));
  auto r = s.poll_reset();
  REQUIRE(r);
  CHECK(r->error_code == 42);
  CHECK(r->final_size == 1500);
  CHECK_FALSE(s.poll_reset());
  s.on_reset_lost();
  CHECK(s.poll_reset());
  std::error_code ec;
  CHECK(s.write(pattern(10), ec) == 0);
  CHECK(ec == stream_errc::stream_closed);
  CHECK(s.finish() == stream_errc::stream_closed);
  s.on_lost(0, 1000, false); // ignored after reset
  CHECK_FALSE(s.has_retransmission());
  s.on_reset_acked();
  CHECK(s.state() == send_state::reset_recvd);
  CHECK(s.is_closed());
  s.reset(7); // no-op
  CHECK_FALSE(s.poll_reset());
}

TEST_CASE("send_stream: STOP_SENDING resets with the peer's code, writes then fail") {
  send_stream s{1 << 20};
  write_all(s, pattern(100));
  s.next_chunk(40);
  s.on_stop_sending(9);
  CHECK(s.stop_sending_error() == 9u);
  auto r = s.poll_reset();
  REQUIRE(r);
  CHECK(r->error_code == 9);
  CHECK(r->final_size == 40);
  std::error_code ec;
  s.write(pattern(1), ec);
  CHECK(ec == stream_errc::stopped_by_peer);

  send_stream done{1 << 20}; // everything acknowledged: nothing to reset
  write_all(done, pattern(10));
  done.finish();
  auto c = done.next_chunk(100);
  done.on_acked(c->offset, c->data.size(), c->fin);
  done.on_stop_sending(1);
  CHECK_FALSE(done.poll_reset());
  CHECK(done.state() == send_state::data_recvd);
}

TEST_CASE("send_stream: random loss and reordered acks deliver the exact bytes to a recv_stream") {
  tern::random_source rng{tern::test::seed()};
  const auto data = tern::stream::test::random_bytes(rng, 200'000);
  send_stream s{1 << 30, send_config{.buffer_limit = 64 * 1024}};
  recv_stream r{window_config{.initial = 1 << 30, .max = 1 << 30}};
  std::vector<std::byte> received;
  struct flight_item {
    sent what;
    bool delivered;
  };
  std::vector<flight_item> flight;
  std::size_t written = 0;
  std::vector<std::byte> buf(4096);
  for (int rounds = 0; rounds < 100'000 && !(s.is_closed() && r.is_closed()); ++rounds) {
    if (written < data.size()) {
      std::error_code ec;
      written += s.write(std::span{data}.subspan(written), ec);
      if (written == data.size()) s.finish();
    }
    while (auto c = s.next_chunk(1 + rng.uniform(1400))) {
      const bool lost = rng.uniform01() < 0.1;
      flight.push_back({record(*c), !lost});
      if (!lost) REQUIRE_FALSE(r.on_data(c->offset, c->data, c->fin).error);
    }
    // Acknowledge or declare lost a random subset, in random order.
    for (std::size_t i = 0; i < flight.size();) {
      if (rng.uniform(2) == 0) {
        ++i;
        continue;
      }
      const auto [f, delivered] = flight[i];
      flight[i] = flight.back();
      flight.pop_back();
      // A delivered chunk is usually acknowledged, sometimes declared lost
      // anyway (spurious loss); an undelivered one is always lost.
      if (delivered && rng.uniform01() < 0.9)
        s.on_acked(f.offset, f.length, f.fin);
      else
        s.on_lost(f.offset, f.length, f.fin);
    }
    std::error_code ec;
    for (;;) {
      auto res = r.read(buf, ec);
      REQUIRE_FALSE(ec);
      received.insert(received.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(res.bytes));
      if (res.bytes == 0) break;
    }
  }
  CHECK(received == data);
  CHECK(r.state() == recv_state::data_read);
}
