#include <doctest/doctest.h>

#include "congestion/controller.hpp"
#include "congestion/pacer.hpp"

using namespace std::chrono_literals;
using tern::time_point;
using tern::cc::pacer;
using tern::cc::pacer_config;

namespace {
const time_point t0 = time_point{} + 1s;
}

TEST_CASE("pacer: without a rate every packet is released at once") {
  pacer p;
  CHECK_FALSE(p.pacing());
  for (int i = 0; i < 100; ++i) {
    CHECK(p.release_time(1200, t0) == t0);
    p.on_packet_sent(1200, t0);
  }
  p.set_rate(tern::cc::unlimited_rate, t0);
  CHECK(p.release_time(1200, t0) == t0);
}

TEST_CASE("pacer: 1.2 MB/s releases a quantum then one 1200-byte packet per millisecond") {
  pacer p{pacer_config{.max_datagram_size = 1200}};
  p.set_rate(1'200'000, t0);
  CHECK(p.quantum() == 2400); // 1.2 kB per ms, at least two datagrams
  // The bucket starts full: two packets go at once.
  time_point now = t0;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(p.release_time(1200, now) == now);
    p.on_packet_sent(1200, now);
  }
  // Then one per millisecond, exactly.
  for (int i = 0; i < 10; ++i) {
    const time_point release = p.release_time(1200, now);
    CHECK(release == now + 1ms);
    now = release;
    p.on_packet_sent(1200, now);
  }
}

TEST_CASE("pacer: idle time earns at most one quantum of burst") {
  pacer p{pacer_config{.max_datagram_size = 1000}};
  p.set_rate(10'000'000, t0); // 10 kB per ms: quantum 10 000 bytes
  CHECK(p.quantum() == 10'000);
  time_point now = t0;
  while (p.release_time(1000, now) == now) p.on_packet_sent(1000, now); // drain
  CHECK(p.release_time(1000, now) == now + 100us);
  now += 1s; // long idle
  int burst = 0;
  while (p.release_time(1000, now) == now) {
    p.on_packet_sent(1000, now);
    ++burst;
  }
  CHECK(burst == 10);
}

TEST_CASE("pacer: the quantum follows the rate within its bounds") {
  pacer p{pacer_config{.max_datagram_size = 1200}};
  p.set_rate(100'000, t0); // below the low-rate threshold: one datagram
  CHECK(p.quantum() == 1200);
  p.set_rate(1'000'000'000, t0); // 1 MB per ms: capped at 64 KiB
  CHECK(p.quantum() == 64 * 1024);
}

TEST_CASE("pacer: a forced send puts the bucket in debt and delays the next release") {
  pacer p{pacer_config{.max_datagram_size = 1000}};
  p.set_rate(1'000'000, t0); // 1 kB per ms, quantum 2000
  p.on_packet_sent(1000, t0);
  p.on_packet_sent(1000, t0);
  p.on_packet_sent(1000, t0); // a probe, sent regardless: -1000 tokens
  CHECK(p.release_time(1000, t0) == t0 + 2ms);
}

TEST_CASE("pacer: a rate change keeps the credit earned at the old rate") {
  pacer p{pacer_config{.max_datagram_size = 1000}};
  p.set_rate(1'000'000, t0);
  p.on_packet_sent(1000, t0);
  p.on_packet_sent(1000, t0);        // empty
  p.set_rate(2'000'000, t0 + 500us); // earned 500 bytes at 1 MB/s
  // Needs 500 more at 2 MB/s: 250 us.
  CHECK(p.release_time(1000, t0 + 500us) == t0 + 750us);
}
