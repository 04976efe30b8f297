#include <doctest/doctest.h>

#include "recovery/sent_packet_map.hpp"

#include "support/seed.hpp"

#include <tern/random.hpp>

#include <map>

using namespace std::chrono_literals;
using tern::time_point;
using tern::recovery::packet_state;
using tern::recovery::sent_packet;
using tern::recovery::sent_packet_map;

namespace {

const time_point t0 = time_point{} + 1s;

sent_packet packet(std::uint64_t pn, std::uint32_t bytes = 1200) {
  sent_packet p;
  p.packet_number = pn;
  p.time_sent = t0 + std::chrono::milliseconds(pn);
  p.bytes = bytes;
  p.ack_eliciting = true;
  p.in_flight = true;
  p.state = packet_state::outstanding;
  p.cookie = pn * 10;
  return p;
}

} // namespace

TEST_CASE("sent_packet_map: records, finds, and leaves skipped numbers empty") {
  sent_packet_map map{16};
  CHECK(map.empty());
  map.record(packet(0));
  map.record(packet(1));
  map.record(packet(4));
  CHECK(map.first_packet_number() == 0);
  CHECK(map.next_packet_number() == 5);
  REQUIRE(map.find(1) != nullptr);
  CHECK(map.find(1)->cookie == 10);
  CHECK(map.find(2) == nullptr);
  CHECK(map.find(3) == nullptr);
  CHECK(map.find(5) == nullptr);
  CHECK(map.next_pending(2) == 4);
}

TEST_CASE("sent_packet_map: next_pending skips acknowledged runs but not lost packets") {
  sent_packet_map map{16};
  for (std::uint64_t pn = 0; pn < 10; ++pn) map.record(packet(pn));
  for (std::uint64_t pn = 0; pn < 10; ++pn)
    if (pn != 3 && pn != 7) map.mark_acked(*map.find(pn));
  map.mark_lost(*map.find(3), t0);
  CHECK(map.next_pending(0) == 3);
  CHECK(map.next_pending(4) == 7);
  CHECK(map.next_pending(8) == 10);
  map.mark_acked(*map.find(7));
  CHECK(map.next_pending(4) == 10);
}

TEST_CASE("sent_packet_map: retire drops acknowledged entries and lost ones past the cutoff") {
  sent_packet_map map{16};
  for (std::uint64_t pn = 0; pn < 6; ++pn) map.record(packet(pn));
  map.mark_acked(*map.find(0));
  map.mark_lost(*map.find(1), t0 + 10ms);
  map.mark_acked(*map.find(2));
  map.retire(t0);
  CHECK(map.first_packet_number() == 1); // lost at t0+10ms, cutoff t0: kept
  map.retire(t0 + 10ms);
  CHECK(map.first_packet_number() == 3); // 3 is outstanding
  CHECK(map.find(1) == nullptr);
  CHECK(map.size() == 3);
}

TEST_CASE("sent_packet_map: grows past its initial capacity and keeps entries across the wrap") {
  sent_packet_map map{16};
  std::uint64_t acked_up_to = 0;
  for (std::uint64_t pn = 0; pn < 1000; ++pn) {
    map.record(packet(pn));
    // Keep a live window of 40 packets, wider than the initial 16 slots.
    if (pn >= 40) {
      map.mark_acked(*map.find(acked_up_to++));
      map.retire(t0);
    }
  }
  CHECK(map.size() == 40);
  CHECK(map.capacity() == 64);
  for (std::uint64_t pn = 960; pn < 1000; ++pn) {
    REQUIRE(map.find(pn) != nullptr);
    CHECK(map.find(pn)->cookie == pn * 10);
  }
}

TEST_CASE("sent_packet_map: randomized operations agree with a std::map model") {
  tern::random_source rng{tern::test::seed()};
  sent_packet_map map{16};
  std::map<std::uint64_t, packet_state> model;
  std::uint64_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    switch (rng.uniform(4)) {
    case 0:
    case 1: {
      next += 1 + rng.uniform(3);
      map.record(packet(next));
      model[next] = packet_state::outstanding;
      break;
    }
    case 2: {
      if (map.empty()) break;
      const std::uint64_t pn = map.first_packet_number() + rng.uniform(map.size());
      if (auto* p = map.find(pn); p != nullptr && p->state != packet_state::acked) {
        if (rng.uniform(5) == 0 && p->state == packet_state::outstanding) {
          map.mark_lost(*p, t0);
          model[pn] = packet_state::lost;
        } else {
          map.mark_acked(*p);
          model[pn] = packet_state::acked;
        }
      }
      break;
    }
    default: {
      map.retire(t0);
      while (!model.empty() && model.begin()->first < map.first_packet_number()) model.erase(model.begin());
      break;
    }
    }
    if (map.empty()) continue;
    const std::uint64_t from = map.first_packet_number() + rng.uniform(map.size());
    std::uint64_t expected = map.next_packet_number();
    for (auto it = model.lower_bound(from); it != model.end(); ++it)
      if (it->second != packet_state::acked) {
        expected = it->first;
        break;
      }
    REQUIRE(map.next_pending(from) == expected);
  }
}

TEST_CASE("sent_packet_map: holds no slots before its first packet, and release_if_empty frees a grown table") {
  sent_packet_map map{16};
  CHECK(map.capacity() == 0);
  map.record(packet(0));
  CHECK(map.capacity() == 16);
  map.mark_acked(*map.find(0));
  map.retire(t0);
  CHECK(map.empty());
  CHECK_FALSE(map.release_if_empty()); // not grown: kept for the next burst
  CHECK(map.capacity() == 16);
  for (std::uint64_t pn = 1; pn <= 40; ++pn) map.record(packet(pn));
  CHECK(map.capacity() == 64);
  for (std::uint64_t pn = 1; pn < 40; ++pn) map.mark_acked(*map.find(pn));
  map.retire(t0);
  CHECK_FALSE(map.release_if_empty()); // packet 40 is still outstanding
  CHECK(map.capacity() == 64);
  map.mark_acked(*map.find(40));
  map.retire(t0);
  CHECK(map.release_if_empty());
  CHECK(map.capacity() == 0);
  // The next packet starts a fresh table at its own number, as large as the
  // last busy period needed (40 packets: 64 slots), not 16 to double again.
  map.record(packet(100));
  CHECK(map.capacity() == 64);
  CHECK(map.first_packet_number() == 100);
  REQUIRE(map.find(100) != nullptr);
  CHECK(map.find(100)->cookie == 1000);
  CHECK(map.find(40) == nullptr);
  // That busy period peaked at one packet: the one after starts small.
  map.mark_acked(*map.find(100));
  map.retire(t0);
  CHECK(map.release_if_empty());
  map.record(packet(101));
  CHECK(map.capacity() == 16);
}
