#include <doctest/doctest.h>

#include "congestion/round_rtt_quantile.hpp"

using namespace std::chrono_literals;
using tern::cc::round_rtt_quantile;

TEST_CASE("round_rtt_quantile: the low quantile of a round's samples, then empty") {
  round_rtt_quantile r;
  CHECK(r.take(0.1) == 0ms);
  // Ten samples from 10 to 100 ms, out of order: the 10th percentile
  // (index 0.9, rounded down) is the smallest, the median the fifth.
  for (int ms : {70, 10, 40, 100, 20, 90, 30, 60, 80, 50}) r.add(std::chrono::milliseconds(ms));
  CHECK(r.size() == 10);
  round_rtt_quantile copy = r;
  CHECK(r.take(0.1) == 10ms);
  CHECK(r.size() == 0);
  CHECK(copy.take(0.5) == 50ms);
  // Thirty samples: two near zero (a jitter draw of zero both ways) do not
  // make the 10th percentile (index 2.9, rounded down), the third smallest.
  for (int i = 0; i < 28; ++i) r.add(40ms + std::chrono::milliseconds(i));
  r.add(200us);
  r.add(300us);
  CHECK(r.take(0.1) == 40ms);
}

TEST_CASE("round_rtt_quantile: beyond its capacity further samples are ignored") {
  round_rtt_quantile r;
  for (std::size_t i = 0; i < round_rtt_quantile::capacity; ++i) r.add(50ms);
  r.add(1ms);
  CHECK(r.size() == round_rtt_quantile::capacity);
  CHECK(r.take(0.0) == 50ms);
  r.add(1ms);
  r.clear();
  CHECK(r.take(0.0) == 0ms);
}
