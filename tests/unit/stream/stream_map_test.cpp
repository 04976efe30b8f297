#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/stream_errc.hpp"
#include "stream/stream_map.hpp"

#include <map>
#include <vector>

using namespace tern::stream;
using tern::stream::test::pattern;

namespace {
peer_stream_limits generous() {
  return {.max_stream_data_bidi_local = 1 << 20,
          .max_stream_data_bidi_remote = 1 << 20,
          .max_stream_data_uni = 1 << 20,
          .max_streams_bidi = 10,
          .max_streams_uni = 10};
}
stream_map_config server_cfg(std::uint64_t concurrent = 4) {
  return {.self = role::server, .max_concurrent_bidi = concurrent, .max_concurrent_uni = concurrent};
}
void write(stream& s, std::size_t n) {
  std::error_code ec;
  REQUIRE(s.send->write(pattern(n), ec) == n);
}
} // namespace

TEST_CASE("stream_map: local streams get the right ids and obey the peer's MAX_STREAMS") {
  stream_map m{{.self = role::client}};
  m.set_peer_limits({.max_streams_bidi = 2, .max_streams_uni = 1});
  std::error_code ec;
  CHECK(m.open(direction::bidi, ec)->id == 0);
  CHECK(m.open(direction::bidi, ec)->id == 4);
  CHECK(m.open(direction::uni, ec)->id == 2);
  CHECK(m.open(direction::bidi, ec) == nullptr);
  CHECK(ec == stream_errc::streams_blocked);
  CHECK(m.poll_streams_blocked(direction::bidi) == 2u);
  CHECK_FALSE(m.poll_streams_blocked(direction::bidi));
  CHECK_FALSE(m.poll_streams_blocked(direction::uni));
  CHECK(m.on_max_streams(direction::bidi, max_stream_count + 1) == stream_errc::frame_encoding_error);
  CHECK_FALSE(m.on_max_streams(direction::bidi, 3));
  CHECK(m.open(direction::bidi, ec)->id == 8);
  stream* uni = m.find(2);
  REQUIRE(uni);
  CHECK(uni->send.has_value());
  CHECK_FALSE(uni->recv.has_value());
  stream* bidi = m.find(0);
  CHECK(bidi->send->credit().limit() == 0); // peer limits given without stream data
}

TEST_CASE("stream_map: a peer stream opens all lower ones of its type, accepted in order") {
  stream_map m{server_cfg(10)};
  std::error_code ec;
  stream* s = m.get_for_frame(8, frame_target::receive_side, ec); // client bidi #2
  REQUIRE(s);
  CHECK_FALSE(ec);
  CHECK(m.find(0));
  CHECK(m.find(4));
  CHECK_FALSE(m.find(12));
  CHECK(m.size() == 3);
  CHECK(m.accept(direction::bidi) == 0u);
  CHECK(m.accept(direction::bidi) == 4u);
  CHECK(m.accept(direction::bidi) == 8u);
  CHECK_FALSE(m.accept(direction::bidi));
  stream* u = m.get_for_frame(6, frame_target::receive_side, ec); // client uni #1
  REQUIRE(u);
  CHECK(u->recv.has_value());
  CHECK_FALSE(u->send.has_value());
  CHECK(m.accept(direction::uni) == 2u);
  CHECK(m.get_for_frame(4, frame_target::send_side, ec) == m.find(4)); // MAX_STREAM_DATA on a peer bidi
}

TEST_CASE("stream_map: ids beyond our limit are a stream limit error") {
  stream_map m{server_cfg(4)};
  std::error_code ec;
  CHECK(m.get_for_frame(12, frame_target::receive_side, ec)); // index 3: the 4th stream
  CHECK(m.get_for_frame(16, frame_target::receive_side, ec) == nullptr);
  CHECK(ec == stream_errc::stream_limit_error);
  CHECK(m.get_for_frame(4 * 4 + 2, frame_target::receive_side, ec) == nullptr); // uni index 4
  CHECK(ec == stream_errc::stream_limit_error);
}

TEST_CASE("stream_map: frames for the wrong direction or unopened local streams are stream state errors") {
  stream_map m{server_cfg()};
  m.set_peer_limits(generous());
  std::error_code ec;
  // STREAM data on our own unidirectional (send-only) stream 3.
  REQUIRE(m.open(direction::uni, ec)->id == 3);
  CHECK(m.get_for_frame(3, frame_target::receive_side, ec) == nullptr);
  CHECK(ec == stream_errc::stream_state_error);
  // MAX_STREAM_DATA / STOP_SENDING on the peer's uni stream (receive-only for us).
  CHECK(m.get_for_frame(2, frame_target::send_side, ec) == nullptr);
  CHECK(ec == stream_errc::stream_state_error);
  // Any frame for a server stream we never opened.
  CHECK(m.get_for_frame(5, frame_target::receive_side, ec) == nullptr);
  CHECK(ec == stream_errc::stream_state_error);
  CHECK(m.get_for_frame(7, frame_target::send_side, ec) == nullptr);
  CHECK(ec == stream_errc::stream_state_error);
  // Legal ones.
  CHECK(m.get_for_frame(3, frame_target::send_side, ec));
  CHECK_FALSE(ec);
}

TEST_CASE("stream_map: closed streams are released, frames for them ignored, MAX_STREAMS issued") {
  stream_map m{server_cfg(4)};
  m.set_peer_limits(generous());
  std::error_code ec;
  const auto d = pattern(10);
  std::uint64_t limit = m.local_max_streams(direction::uni);
  CHECK(limit == 4);
  for (stream_id id : {2, 6, 10, 14}) { // four client uni streams, each complete
    stream* s = m.get_for_frame(id, frame_target::receive_side, ec);
    REQUIRE(s);
    REQUIRE_FALSE(s->recv->on_data(0, d, true).error);
    std::vector<std::byte> buf(10);
    s->recv->read(buf, ec);
    CHECK(s->recv->is_closed());
    CHECK_FALSE(m.update(id)); // released
    CHECK(m.find(id) == nullptr);
  }
  CHECK(m.get_for_frame(6, frame_target::receive_side, ec) == nullptr);
  CHECK_FALSE(ec); // a late frame for a released stream: ignored
  // Two released streams already made room for half the concurrency: updates batched.
  auto first = m.poll_max_streams(direction::uni);
  REQUIRE(first);
  CHECK(*first == 8);
  CHECK_FALSE(m.poll_max_streams(direction::uni));
  m.on_max_streams_lost(direction::uni, 8);
  CHECK(m.poll_max_streams(direction::uni) == 8u);
  CHECK(m.get_for_frame(30, frame_target::receive_side, ec)); // index 7 < 8
  CHECK_FALSE(m.poll_max_streams(direction::bidi));
}

TEST_CASE("stream_map: a bidi stream is released only when both halves are done") {
  stream_map m{{.self = role::client}};
  m.set_peer_limits(generous());
  std::error_code ec;
  stream* s = m.open(direction::bidi, ec);
  const stream_id id = s->id;
  write(*s, 5);
  s->send->finish();
  m.update(id);
  stream* next = m.next_to_send();
  REQUIRE(next == s);
  auto c = s->send->next_chunk(100);
  CHECK(m.on_chunk_sent(id));
  s->send->on_acked(c->offset, c->data.size(), c->fin);
  CHECK(m.update(id)); // receiving half still open
  REQUIRE_FALSE(s->recv->on_data(0, {}, true).error);
  std::vector<std::byte> buf(1);
  s->recv->read(buf, ec);
  CHECK_FALSE(m.update(id));
  CHECK(m.find(id) == nullptr);
}

TEST_CASE("stream_map: scheduling by urgency, round robin, blocked streams leave the rotation") {
  stream_map m{{.self = role::client}};
  auto limits = generous();
  limits.max_stream_data_bidi_remote = 3000;
  m.set_peer_limits(limits);
  std::error_code ec;
  std::vector<stream_id> ids;
  for (int i = 0; i < 3; ++i) {
    stream* s = m.open(direction::bidi, ec);
    write(*s, 10'000);
    ids.push_back(s->id);
    m.update(s->id);
  }
  stream* urgent = m.open(direction::bidi, ec);
  write(*urgent, 2000);
  m.set_urgency(urgent->id, 0);
  m.update(urgent->id);
  std::vector<stream_id> order;
  std::map<stream_id, int> chunks;
  while (stream* s = m.next_to_send()) {
    auto c = s->send->next_chunk(1000);
    REQUIRE(c);
    order.push_back(s->id);
    ++chunks[s->id];
    m.on_chunk_sent(s->id);
    if (order.size() > 100) break;
  }
  // The urgent stream's two chunks first, then 0, 4, 8 in turn until each
  // hits its 3000-byte MAX_STREAM_DATA.
  CHECK(order == std::vector<stream_id>{12, 12, 0, 4, 8, 0, 4, 8, 0, 4, 8});
  for (auto id : ids) {
    stream* s = m.find(id);
    CHECK(s->send->poll_data_blocked() == 3000u);
  }
  // A MAX_STREAM_DATA puts stream 4 back in the rotation.
  stream* s4 = m.get_for_frame(4, frame_target::send_side, ec);
  CHECK(s4->send->on_max_stream_data(4000));
  m.update(4);
  CHECK(m.next_to_send() == s4);
}

TEST_CASE("stream_map: control frames queue per stream") {
  stream_map m{server_cfg()};
  m.set_peer_limits(generous());
  std::error_code ec;
  stream* s = m.get_for_frame(0, frame_target::receive_side, ec);
  s->send->reset(5);
  m.update(0);
  m.update(0); // queued once
  CHECK(m.next_control() == 0u);
  CHECK_FALSE(m.next_control());
  CHECK(s->send->poll_reset());
}

TEST_CASE("stream_map: initial send credit comes from the matching transport parameter") {
  stream_map m{server_cfg()};
  m.set_peer_limits({.max_stream_data_bidi_local = 111,
                     .max_stream_data_bidi_remote = 222,
                     .max_stream_data_uni = 333,
                     .max_streams_bidi = 5,
                     .max_streams_uni = 5});
  std::error_code ec;
  CHECK(m.get_for_frame(0, frame_target::receive_side, ec)->send->credit().limit() == 111); // peer's bidi
  CHECK(m.open(direction::bidi, ec)->send->credit().limit() == 222);                        // our bidi
  CHECK(m.open(direction::uni, ec)->send->credit().limit() == 333);                         // our uni
  // Limits learned later raise streams opened before (never lower them).
  stream_map early{{.self = role::client}};
  early.set_peer_limits({.max_streams_bidi = 1});
  stream* s = early.open(direction::bidi, ec);
  CHECK(s->send->credit().limit() == 0);
  early.set_peer_limits({.max_stream_data_bidi_remote = 500, .max_streams_bidi = 1});
  CHECK(s->send->credit().limit() == 500);
}

// Issue 17: each stream caps its own holes, but a peer may open every stream
// it is allowed and leave holes in all of them. The connection-wide budget
// refuses the range that would pass it, wherever it lands, and a stream
// that goes away gives its ranges back.
TEST_CASE("stream_map: one-byte holes across many streams stop at the connection's range budget") {
  constexpr std::size_t budget = 1000;
  stream_map m{{.self = role::server,
                .max_concurrent_bidi = 50,
                .max_concurrent_uni = 50,
                .stream_window = {.initial = 1 << 20, .max = 1 << 20},
                .max_received_ranges = budget}};
  m.set_peer_limits(generous());
  std::error_code ec;
  const auto one = pattern(1);
  std::size_t accepted = 0;
  bool refused = false;
  for (stream_id id = 2; id < 2 + 4 * 50 && !refused; id += 4) { // client uni streams
    stream* s = m.get_for_frame(id, frame_target::receive_side, ec);
    REQUIRE(s);
    for (std::uint64_t off = 1; off < 2 * 100; off += 2) { // 100 holes per stream, under its own cap
      const auto r = s->recv->on_data(off, one, false);
      if (r.error) {
        CHECK(r.error == stream_errc::protocol_violation);
        refused = true;
        break;
      }
      ++accepted;
    }
  }
  CHECK(refused);
  CHECK(accepted == budget);
  CHECK(m.received_ranges_held() == budget);

  // Filling a hole merges ranges and returns budget; a reset stream returns all of its own.
  stream* first = m.find(2);
  REQUIRE(first);
  REQUIRE_FALSE(first->recv->on_data(2, one, false).error); // joins [1,2) and [3,4)
  CHECK(m.received_ranges_held() == budget - 1);
  REQUIRE_FALSE(first->recv->on_reset(200, 0).error);
  CHECK(m.received_ranges_held() == budget - 100);
  stream* later = m.find(6);
  REQUIRE(later);
  CHECK_FALSE(later->recv->on_data(1001, one, false).error);
}
