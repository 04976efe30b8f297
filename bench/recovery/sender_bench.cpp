// The whole sending half per packet: can_send, on_packet_sent, and an ACK
// every second packet through loss detection, the rate sampler, the
// controller and the pacer.

#include "recovery/sender.hpp"

#include <benchmark/benchmark.h>

using namespace std::chrono_literals;
using namespace tern::recovery;
using tern::time_point;

namespace {

void bm_sender_send_and_ack(benchmark::State& state) {
  tern::random_source rng{1};
  sender_config config;
  config.algorithm = static_cast<tern::cc::algorithm>(state.range(0));
  sender s{config, rng};
  time_point now = time_point{} + 1s;
  std::uint64_t acked_up_to = 0;
  for (auto _ : state) {
    const auto permission = s.can_send(1200, now);
    benchmark::DoNotOptimize(permission.limit);
    const std::uint64_t pn = s.on_packet_sent({.bytes = 1200}, now);
    now += 100us;
    // ACK what was sent 20 ms ago, two packets per ACK.
    if (pn >= 200 && pn % 2 == 1) {
      ack_info ack;
      ack.push_back({0, pn - 200});
      s.on_ack_received(ack, now);
      acked_up_to = pn - 200;
    }
  }
  benchmark::DoNotOptimize(acked_up_to);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string{tern::cc::to_string(config.algorithm)});
}
BENCHMARK(bm_sender_send_and_ack)->Arg(0)->Arg(1)->Arg(2);

} // namespace
