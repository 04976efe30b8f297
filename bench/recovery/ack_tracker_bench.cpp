// Receive side: recording arrivals (1% missing) and building ACK frames.

#include "recovery/ack_tracker.hpp"

#include <tern/random.hpp>

#include <benchmark/benchmark.h>

using namespace std::chrono_literals;
using namespace tern::recovery;
using tern::time_point;

namespace {

void bm_ack_tracker_receive_and_ack(benchmark::State& state) {
  ack_tracker tracker;
  tern::random_source rng{1};
  time_point now = time_point{} + 1s;
  std::uint64_t pn = 0;
  ack_info ack;
  for (auto _ : state) {
    if (rng.uniform(100) == 0) ++pn; // a lost packet leaves a hole
    tracker.on_packet_received(pn++, true, now);
    now += 10us;
    if (tracker.ack_due(now)) {
      tracker.build_ack(now, ack);
      benchmark::DoNotOptimize(ack.size());
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_ack_tracker_receive_and_ack);

void bm_ack_tracker_build_full(benchmark::State& state) {
  ack_tracker tracker;
  const time_point now = time_point{} + 1s;
  for (std::uint64_t i = 0; i < 500; ++i) tracker.on_packet_received(3 * i, true, now);
  ack_info ack;
  for (auto _ : state) {
    tracker.build_ack(now, ack);
    benchmark::DoNotOptimize(ack.size());
  }
  state.counters["ranges"] = static_cast<double>(ack.size());
}
BENCHMARK(bm_ack_tracker_build_full);

void bm_ack_tracker_reordered(benchmark::State& state) {
  ack_tracker tracker;
  const time_point now = time_point{} + 1s;
  std::uint64_t base = 0;
  for (auto _ : state) {
    // Packets arrive as pairs swapped: each second one fills a hole.
    tracker.on_packet_received(base + 1, true, now);
    tracker.on_packet_received(base, true, now);
    base += 2;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(bm_ack_tracker_reordered);

} // namespace
