// The cost of one acknowledgement (or loss) of a deadline-message fragment
// when the message has many fragments in flight (issue 17, "Per-frame
// cost"). The sender hands out one message of `fragments` fragments of 64
// bytes (a 1 MiB message at the largest count: max_message_size), then the
// peer's acknowledgements arrive:
//   ascending   in the order sent
//   descending  last fragment first
//   losses      every other fragment acknowledged, descending, then the
//               others declared lost, descending (each loss checks the
//               copies still in flight over its range)
// The counter `per_ack` is the time per acknowledgement or loss; it should
// not grow with `fragments`.
#include "stream/message_sender.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

using namespace tern::stream;

namespace {

constexpr std::size_t fragment_bytes = 64;

enum class acks { ascending, descending, losses };

void BM_message_fragment_acks(benchmark::State& state, acks order) {
  const auto fragments = static_cast<std::size_t>(state.range(0));
  const std::vector<std::byte> payload(fragments * fragment_bytes, std::byte{7});
  const tern::time_point now{};
  const auto owd = std::chrono::milliseconds(10);
  std::vector<fragment_ref> sent(fragments);
  for (auto _ : state) {
    state.PauseTiming();
    message_sender s;
    std::error_code ec;
    const std::uint64_t id = s.send(payload, now + std::chrono::seconds(10), now, ec);
    for (std::size_t i = 0; i < fragments; ++i) {
      const auto f = s.next_fragment(fragment_bytes, now, owd, i);
      sent[i] = {id, f->offset, f->data.size()};
    }
    state.ResumeTiming();
    switch (order) {
    case acks::ascending:
      for (std::size_t i = 0; i < fragments; ++i) s.on_acked(sent[i]);
      break;
    case acks::descending:
      for (std::size_t i = fragments; i-- > 0;) s.on_acked(sent[i]);
      break;
    case acks::losses:
      for (std::size_t i = fragments; i-- > 0;)
        if (i % 2 == 1) s.on_acked(sent[i]);
      for (std::size_t i = fragments; i-- > 0;)
        if (i % 2 == 0) s.on_lost(sent[i]);
      break;
    }
    benchmark::DoNotOptimize(s.stats());
  }
  state.counters["per_ack"] = benchmark::Counter(static_cast<double>(fragments),
                                                 benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
}

} // namespace

BENCHMARK_CAPTURE(BM_message_fragment_acks, ascending, acks::ascending)->Arg(256)->Arg(4096)->Arg(16384);
BENCHMARK_CAPTURE(BM_message_fragment_acks, descending, acks::descending)->Arg(256)->Arg(4096)->Arg(16384);
BENCHMARK_CAPTURE(BM_message_fragment_acks, losses, acks::losses)->Arg(256)->Arg(4096)->Arg(16384);
