#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "stream/send_scheduler.hpp"

#include <map>
#include <vector>

using namespace tern::stream;

TEST_CASE("send_scheduler: lower urgency first, whatever the order of scheduling") {
  send_scheduler s;
  CHECK_FALSE(s.peek());
  s.schedule(8, 5);
  s.schedule(4, 3);
  s.schedule(0, 7);
  s.schedule(12, 0);
  std::vector<stream_id> order;
  while (auto id = s.peek()) {
    order.push_back(*id);
    s.on_sent(*id, false);
  }
  CHECK(order == std::vector<stream_id>{12, 4, 8, 0});
  CHECK(s.empty());
}

TEST_CASE("send_scheduler: round robin within an urgency level, one chunk per turn") {
  send_scheduler s;
  for (stream_id id : {0, 4, 8}) s.schedule(id, 3);
  std::vector<stream_id> order;
  for (int i = 0; i < 9; ++i) {
    const auto id = *s.peek();
    order.push_back(id);
    s.on_sent(id, true);
  }
  CHECK(order == std::vector<stream_id>{0, 4, 8, 0, 4, 8, 0, 4, 8});
}

TEST_CASE("send_scheduler: fairness, a busy stream does not starve the others of its level") {
  send_scheduler s;
  // Stream 0 has 1000 chunks to send, streams 4 and 8 have 10 each.
  std::map<stream_id, int> left{{0, 1000}, {4, 10}, {8, 10}};
  for (auto& [id, n] : left) s.schedule(id, 3);
  std::vector<stream_id> order;
  while (auto id = s.peek()) {
    order.push_back(*id);
    s.on_sent(*id, --left[*id] > 0);
  }
  // The small streams finish within the first 30 turns (head-of-line free).
  int small_done_at = 0;
  for (int i = 0, seen = 0; i < static_cast<int>(order.size()); ++i)
    if (order[i] != 0 && ++seen == 20) small_done_at = i;
  CHECK(small_done_at < 30);
  CHECK(order.size() == 1020);
}

TEST_CASE("send_scheduler: an urgent stream preempts, idempotent scheduling, urgency changes") {
  send_scheduler s;
  s.schedule(0, 3);
  s.schedule(4, 3);
  s.schedule(0, 3); // already queued: keeps its turn
  CHECK(s.size() == 2);
  CHECK(s.peek() == 0u);
  s.schedule(8, 1);
  CHECK(s.peek() == 8u);
  s.unschedule(8);
  CHECK(s.peek() == 0u);
  s.schedule(0, 6); // demoted: now behind 4
  CHECK(s.peek() == 4u);
  s.schedule(99, 200); // clamped to 7
  s.on_sent(4, false);
  s.on_sent(0, false);
  CHECK(s.peek() == 99u);
  s.unschedule(12345); // unknown: no-op
  CHECK(s.is_scheduled(99));
}
