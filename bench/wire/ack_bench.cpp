// ACK frame encode and decode with 1, 8 and 32 ranges (the SACK blocks a
// receiver reports under light to heavy loss).

#include "wire/ack_frame.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>

namespace {

using namespace tern::wire;

ack_frame make_ack(std::size_t ranges) {
  ack_frame f;
  // Realistic numbers: largest around 2^20 (3-byte varints are 4 bytes), ranges
  // of a few dozen packets separated by small holes.
  std::uint64_t largest = 1'000'000;
  for (std::size_t i = 0; i < ranges; ++i) {
    f.ranges.push_back({largest - 40, largest});
    largest -= 40 + 3;
  }
  f.ack_delay = std::chrono::microseconds{1500};
  return f;
}

void bm_ack_encode(benchmark::State& state) {
  const ack_frame f = make_ack(static_cast<std::size_t>(state.range(0)));
  std::array<std::byte, 1500> buf{};
  for (auto _ : state) {
    writer w{buf};
    auto ec = encode(w, f);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(bm_ack_encode)->Arg(1)->Arg(8)->Arg(32);

void bm_ack_decode(benchmark::State& state) {
  const ack_frame f = make_ack(static_cast<std::size_t>(state.range(0)));
  std::array<std::byte, 1500> buf{};
  writer w{buf};
  if (encode(w, f)) state.SkipWithError("encode failed");
  const auto bytes = w.written();
  ack_frame out;
  for (auto _ : state) {
    reader r{bytes};
    auto ec = decode(r, out);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(out);
  }
  if (!(out == f)) state.SkipWithError("round trip mismatch");
}
BENCHMARK(bm_ack_decode)->Arg(1)->Arg(8)->Arg(32);

} // namespace
