#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"

#include "stream/datagram_queue.hpp"
#include "stream/stream_errc.hpp"

#include <chrono>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::stream::test::pattern;

namespace {
tern::time_point at(tern::duration d) { return tern::time_point{} + d; }
} // namespace

TEST_CASE("datagram_send_queue: FIFO within bounds, oversize and full rejected") {
  datagram_send_queue q{{.max_count = 2, .max_bytes = 300, .max_datagram_size = 200}};
  const auto a = pattern(100, 1), b = pattern(150, 2);
  CHECK(q.push(pattern(201)) == stream_errc::message_too_large);
  CHECK_FALSE(q.push(a));
  CHECK_FALSE(q.push(b));
  CHECK(q.push(pattern(1)) == stream_errc::buffer_full); // count
  auto f = q.front(at(0ms));
  REQUIRE(f);
  CHECK(std::equal(f->begin(), f->end(), a.begin(), a.end()));
  q.pop();
  CHECK(q.push(pattern(151)) == stream_errc::buffer_full); // bytes: 150 + 151 > 300
  CHECK_FALSE(q.push(pattern(150)));
  CHECK(q.bytes() == 300);
  auto g = q.front(at(0ms));
  CHECK(std::equal(g->begin(), g->end(), b.begin(), b.end()));
}

TEST_CASE("datagram_send_queue: stale datagrams are discarded and counted") {
  datagram_send_queue q;
  CHECK_FALSE(q.push(pattern(10, 1), at(10ms)));
  CHECK_FALSE(q.push(pattern(10, 2), at(20ms)));
  const auto fresh = pattern(10, 3);
  CHECK_FALSE(q.push(fresh)); // no deadline
  auto f = q.front(at(15ms));
  REQUIRE(f);
  CHECK(q.expired() == 1);
  q.pop();
  auto g = q.front(at(1s));
  REQUIRE(g);
  CHECK(std::equal(g->begin(), g->end(), fresh.begin(), fresh.end()));
  CHECK(q.expired() == 1); // the second went out at 15 ms
  q.pop();
  CHECK_FALSE(q.front(at(1s)));
  CHECK(q.size() == 0);
}

TEST_CASE("datagram_recv_queue: drop-oldest keeps the freshest, drop-newest keeps the first, both counted") {
  const datagram_queue_config cfg{.max_count = 3, .max_bytes = 10'000, .max_datagram_size = 1200};
  datagram_recv_queue oldest{cfg, overflow_policy::drop_oldest};
  datagram_recv_queue newest{cfg, overflow_policy::drop_newest};
  for (std::uint64_t i = 0; i < 5; ++i) {
    const auto d = pattern(10, i);
    CHECK(oldest.push(d) == (i < 3));
    CHECK(newest.push(d) == (i < 3));
  }
  CHECK(oldest.dropped() == 2);
  CHECK(newest.dropped() == 2);
  std::vector<std::byte> buf(10);
  CHECK(oldest.pop(buf) == 10u);
  CHECK(buf == pattern(10, 2));
  CHECK(newest.pop(buf) == 10u);
  CHECK(buf == pattern(10, 0));
}

TEST_CASE("datagram_recv_queue: byte budget and truncation") {
  datagram_recv_queue q{{.max_count = 100, .max_bytes = 25, .max_datagram_size = 1200}};
  CHECK(q.push(pattern(10, 1)));
  CHECK(q.push(pattern(10, 2)));
  CHECK_FALSE(q.push(pattern(10, 3))); // 30 > 25: the oldest goes
  CHECK(q.size() == 2);
  CHECK(q.bytes() == 20);
  CHECK_FALSE(q.push(pattern(26))); // can never fit
  CHECK(q.dropped() == 2);
  CHECK(q.front_size() == 10u);
  std::vector<std::byte> small(4);
  CHECK(q.pop(small) == 10u); // full size reported, 4 bytes copied
  CHECK(std::equal(small.begin(), small.end(), pattern(10, 2).begin()));
  std::vector<std::byte> empty;
  CHECK(q.pop(empty) == 10u);
  CHECK_FALSE(q.pop(empty));
}
