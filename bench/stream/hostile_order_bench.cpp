// Reassembly of one-byte frames in the orders a hostile peer picks (issue
// 17), against in-order arrival: the cost per byte must stay within a small
// constant factor of in order, whatever the order.
//
// Each batch is `span` bytes of one stream (or one message) sent as `span`
// one-byte frames, then read out. `span` is twice the stream's range cap, so
// the worst orders reach the cap without passing it:
//   in_order         0, 1, 2, ...
//   descending       span-1, span-2, ..., 0 (each piece touches the last)
//   descending_holes odd offsets descending, then even descending: the
//                    issue's attack, every piece a new range at the front
//   alternating      even offsets ascending, then odd ascending
//   random_holes     a random permutation (up to ~span/4 holes)
// The counter `per_byte` is the time per byte received (lower is better).
//
// The send side has its peer-shaped case too: the acknowledgements. A peer
// that acknowledges every other one-byte packet and lets the rest be
// declared lost, highest first, made each loss walk every acknowledged
// range; BM_send_stream_acks compares that with acknowledging in order.
#include "stream/message_receiver.hpp"
#include "stream/recv_stream.hpp"
#include "stream/send_stream.hpp"

#include <tern/random.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>
#include <vector>

using namespace tern::stream;

namespace {

constexpr std::uint64_t span = 2 * recv_stream::default_max_ranges;

enum class order { in_order, descending, descending_holes, alternating, random_holes };

std::vector<std::uint64_t> arrival(order o) {
  std::vector<std::uint64_t> v;
  v.reserve(span);
  switch (o) {
  case order::in_order:
    for (std::uint64_t i = 0; i < span; ++i) v.push_back(i);
    break;
  case order::descending:
    for (std::uint64_t i = span; i-- > 0;) v.push_back(i);
    break;
  case order::descending_holes:
    for (std::uint64_t i = span; i-- > 0;)
      if (i % 2 == 1) v.push_back(i);
    for (std::uint64_t i = span; i-- > 0;)
      if (i % 2 == 0) v.push_back(i);
    break;
  case order::alternating:
    for (std::uint64_t i = 0; i < span; i += 2) v.push_back(i);
    for (std::uint64_t i = 1; i < span; i += 2) v.push_back(i);
    break;
  case order::random_holes: {
    for (std::uint64_t i = 0; i < span; ++i) v.push_back(i);
    tern::random_source rng{17};
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.uniform(i)]);
    break;
  }
  }
  return v;
}

void per_byte(benchmark::State& state) {
  state.counters["per_byte"] = benchmark::Counter(static_cast<double>(span),
                                                  benchmark::Counter::kIsIterationInvariantRate |
                                                      benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * span));
}

void BM_stream_one_byte_frames(benchmark::State& state, order o) {
  const auto offsets = arrival(o);
  const std::byte one[1] = {std::byte{0x5a}};
  recv_stream r{window_config{.initial = std::uint64_t{1} << 50, .max = std::uint64_t{1} << 50}};
  std::vector<std::byte> out(4096);
  std::error_code ec;
  std::uint64_t base = 0;
  for (auto _ : state) {
    for (const std::uint64_t off : offsets) {
      const auto res = r.on_data(base + off, one, false);
      if (res.error) state.SkipWithError("refused below the cap");
      // Read in blocks, the same way for every order.
      if (r.readable() >= 1024) r.read(out, ec);
    }
    while (r.readable() > 0) r.read(out, ec);
    base += span;
  }
  per_byte(state);
}

void BM_message_one_byte_fragments(benchmark::State& state, order o) {
  const auto offsets = arrival(o);
  const std::byte one[1] = {std::byte{0x5a}};
  message_receiver r;
  const tern::time_point now{};
  std::uint64_t id = 0;
  for (auto _ : state) {
    for (const std::uint64_t off : offsets)
      (void)r.on_fragment(id, span, off, one, std::chrono::seconds{10}, now);
    auto ev = r.poll(now);
    if (!ev || ev->what != message_event::kind::delivered) state.SkipWithError("not delivered");
    benchmark::DoNotOptimize(ev);
    ++id;
  }
  per_byte(state);
}

enum class acks { in_order, every_other_then_losses_descending };

// One stream sends `span` one-byte packets; the peer acknowledges them as
// `a` says, and what it leaves out is declared lost, resent and acknowledged.
void BM_send_stream_acks(benchmark::State& state, acks a) {
  const std::vector<std::byte> data(span, std::byte{0x5a});
  for (auto _ : state) {
    send_stream s{std::uint64_t{1} << 50, send_config{.buffer_limit = span}};
    std::error_code ec;
    s.write(data, ec);
    for (std::uint64_t i = 0; i < span; ++i) (void)s.next_chunk(1, span);
    if (a == acks::in_order) {
      for (std::uint64_t i = 0; i < span; ++i) s.on_acked(i, 1, false);
    } else {
      for (std::uint64_t i = 1; i < span; i += 2) s.on_acked(i, 1, false);
      for (std::uint64_t i = span; i-- > 0;)
        if (i % 2 == 0) s.on_lost(i, 1, false);
      while (const auto c = s.next_chunk(1, span)) s.on_acked(c->offset, c->data.size(), false);
    }
    if (s.buffered() != 0) state.SkipWithError("not all acknowledged");
  }
  per_byte(state);
}

} // namespace

BENCHMARK_CAPTURE(BM_send_stream_acks, in_order, acks::in_order);
BENCHMARK_CAPTURE(BM_send_stream_acks, every_other_then_losses_descending, acks::every_other_then_losses_descending);
BENCHMARK_CAPTURE(BM_stream_one_byte_frames, in_order, order::in_order);
BENCHMARK_CAPTURE(BM_stream_one_byte_frames, descending, order::descending);
BENCHMARK_CAPTURE(BM_stream_one_byte_frames, descending_holes, order::descending_holes);
BENCHMARK_CAPTURE(BM_stream_one_byte_frames, alternating, order::alternating);
BENCHMARK_CAPTURE(BM_stream_one_byte_frames, random_holes, order::random_holes);
BENCHMARK_CAPTURE(BM_message_one_byte_fragments, in_order, order::in_order);
BENCHMARK_CAPTURE(BM_message_one_byte_fragments, descending, order::descending);
BENCHMARK_CAPTURE(BM_message_one_byte_fragments, descending_holes, order::descending_holes);
BENCHMARK_CAPTURE(BM_message_one_byte_fragments, alternating, order::alternating);
BENCHMARK_CAPTURE(BM_message_one_byte_fragments, random_holes, order::random_holes);
