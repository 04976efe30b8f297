// ACK processing cost on the sender: ACKs with many SACK ranges, and the
// sent-packet map's record / acknowledge / retire cycle.

#include "recovery/loss_detector.hpp"
#include "recovery/sent_packet_map.hpp"

#include <benchmark/benchmark.h>

using namespace std::chrono_literals;
using namespace tern::recovery;
using tern::time_point;

namespace {

sent_packet make_packet(std::uint64_t pn, time_point now) {
  sent_packet p;
  p.packet_number = pn;
  p.time_sent = now;
  p.bytes = 1200;
  p.ack_eliciting = true;
  p.in_flight = true;
  p.state = packet_state::outstanding;
  return p;
}

// Each iteration sends 2·R packets and processes one ACK with R ranges that
// acknowledges every other one (the rest are later declared lost), on top of
// `flight` packets kept in flight: the ACK's ranges reach back across them.
void bm_ack_with_sack_ranges(benchmark::State& state) {
  const auto ranges = static_cast<std::uint64_t>(state.range(0));
  const auto flight = static_cast<std::uint64_t>(state.range(1));
  loss_detector d;
  time_point now = time_point{} + 1s;
  std::uint64_t pn = 0;
  for (; pn < flight; ++pn) d.on_packet_sent(make_packet(pn, now));
  std::uint64_t packets = 0;
  for (auto _ : state) {
    const std::uint64_t first = pn;
    for (std::uint64_t i = 0; i < 2 * ranges; ++i) d.on_packet_sent(make_packet(pn++, now));
    now += 100us;
    ack_info ack;
    for (std::uint64_t r = 0; r < ranges; ++r) {
      const std::uint64_t top = pn - 1 - 2 * r;
      ack.push_back({top, top});
    }
    const auto& out = d.on_ack_received(ack, now);
    benchmark::DoNotOptimize(out.acked.size());
    // Keep the in-flight base steady: acknowledge the oldest batch too.
    if (first >= flight) {
      ack_info old;
      old.push_back({first - flight, first - flight + 2 * ranges - 1});
      d.on_ack_received(old, now);
    }
    packets += 2 * ranges;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
  state.counters["ranges"] = static_cast<double>(ranges);
}
BENCHMARK(bm_ack_with_sack_ranges)
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({64, 0})
    ->Args({64, 2000})
    ->Args({64, 20000});

// An ACK with one range reaching back over a long run that was already
// acknowledged: the skip pointers keep it independent of the range length.
void bm_ack_long_first_range(benchmark::State& state) {
  const auto history = static_cast<std::uint64_t>(state.range(0));
  loss_detector d;
  time_point now = time_point{} + 1s;
  std::uint64_t pn = 0;
  for (; pn < history; ++pn) d.on_packet_sent(make_packet(pn, now));
  // Acknowledge all but packet 0, which stays outstanding and pins the map.
  ack_info all;
  all.push_back({1, pn - 1});
  d.on_ack_received(all, now);
  for (auto _ : state) {
    d.on_packet_sent(make_packet(pn, now));
    d.on_packet_sent(make_packet(pn + 1, now));
    pn += 2;
    ack_info ack;
    ack.push_back({1, pn - 1});
    benchmark::DoNotOptimize(d.on_ack_received(ack, now).acked.size());
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(bm_ack_long_first_range)->Arg(100)->Arg(10'000)->Arg(30'000);

void bm_sent_packet_map_cycle(benchmark::State& state) {
  const auto window = static_cast<std::uint64_t>(state.range(0));
  sent_packet_map map;
  const time_point now = time_point{} + 1s;
  std::uint64_t pn = 0;
  for (; pn < window; ++pn) map.record(make_packet(pn, now));
  for (auto _ : state) {
    map.record(make_packet(pn, now));
    sent_packet* oldest = map.find(pn - window);
    map.mark_acked(*oldest);
    map.retire(now);
    benchmark::DoNotOptimize(map.next_pending(pn - window));
    ++pn;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_sent_packet_map_cycle)->Arg(100)->Arg(10'000)->Arg(32'000);

} // namespace
