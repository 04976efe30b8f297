// Reed-Solomon erasure coding cost per byte at packet-sized symbols: tern's
// codec on Intel ISA-L (Cauchy matrix, table-driven SIMD multiply, systematic
// decoding of only the lost sources) against cm256cc (a
// Cauchy MDS codec made for UDP packets). k source symbols of 1200 bytes,
// m repair symbols. Encode makes all m repair symbols; decode rebuilds
// min(k, m) lost sources from the survivors and the repair symbols, which
// is the worst case the code can still recover. Bytes processed are the
// source bytes (k * 1200), so the figures read as "cost per protected byte".

#include "fec/reed_solomon.hpp"

#include <benchmark/benchmark.h>

#include <cm256cc/cm256.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

constexpr int symbol_bytes = 1200;

struct block_data {
  int k;
  int m;
  std::vector<std::vector<unsigned char>> symbols; // k sources, then m repairs

  block_data(int k_, int m_) : k(k_), m(m_), symbols(static_cast<std::size_t>(k_ + m_)) {
    std::mt19937 rng(42);
    for (auto& s : symbols) {
      s.resize(symbol_bytes);
      for (auto& b : s) b = static_cast<unsigned char>(rng());
    }
  }
};

// ---- ISA-L, through tern's codec (src/fec/reed_solomon.cpp) ----

std::vector<const std::byte*> source_pointers(const block_data& d) {
  std::vector<const std::byte*> p;
  for (int i = 0; i < d.k; ++i) p.push_back(reinterpret_cast<const std::byte*>(d.symbols[static_cast<std::size_t>(i)].data()));
  return p;
}

std::vector<std::byte*> repair_pointers(block_data& d) {
  std::vector<std::byte*> p;
  for (int i = 0; i < d.m; ++i) p.push_back(reinterpret_cast<std::byte*>(d.symbols[static_cast<std::size_t>(d.k + i)].data()));
  return p;
}

void bm_isal_encode(benchmark::State& state) {
  block_data d(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const auto sources = source_pointers(d);
  const auto repairs = repair_pointers(d);
  for (auto _ : state) {
    if (!tern::fec::encode_repairs(sources, 0, repairs, symbol_bytes)) state.SkipWithError("encode refused");
    benchmark::DoNotOptimize(d.symbols.back().data());
  }
  state.SetBytesProcessed(state.iterations() * d.k * symbol_bytes);
}

void bm_isal_decode(benchmark::State& state) {
  block_data d(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto sources = source_pointers(d);
  (void)tern::fec::encode_repairs(sources, 0, repair_pointers(d), symbol_bytes);
  const int lost = std::min(d.k, d.m); // sources 0..lost-1 are lost
  std::vector<tern::fec::repair_symbol> repairs;
  for (int i = 0; i < lost; ++i) {
    sources[static_cast<std::size_t>(i)] = nullptr;
    repairs.push_back({static_cast<std::size_t>(i),
                       reinterpret_cast<const std::byte*>(d.symbols[static_cast<std::size_t>(d.k + i)].data())});
  }
  std::vector<std::vector<unsigned char>> rebuilt(static_cast<std::size_t>(d.k), std::vector<unsigned char>(symbol_bytes));
  std::vector<std::byte*> out;
  for (auto& r : rebuilt) out.push_back(reinterpret_cast<std::byte*>(r.data()));
  for (auto _ : state) {
    if (!tern::fec::decode_sources(sources, repairs, out, symbol_bytes)) state.SkipWithError("decode refused");
    benchmark::DoNotOptimize(rebuilt.back().data());
  }
  if (rebuilt[0] != d.symbols[0]) state.SkipWithError("isa-l rebuilt the wrong bytes");
  state.SetBytesProcessed(state.iterations() * d.k * symbol_bytes);
}

// ---- cm256cc ----

/// cm256's descriptors of the block's k sources.
std::vector<CM256::cm256_block> cm256_originals(block_data& d) {
  std::vector<CM256::cm256_block> originals(static_cast<std::size_t>(d.k));
  for (int i = 0; i < d.k; ++i)
    originals[static_cast<std::size_t>(i)] = {d.symbols[static_cast<std::size_t>(i)].data(),
                                              static_cast<unsigned char>(i)};
  return originals;
}

void bm_cm256_encode(benchmark::State& state) {
  block_data d(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  CM256 codec;
  if (!codec.isInitialized()) state.SkipWithError("cm256 did not initialise");
  CM256::cm256_encoder_params params{d.k, d.m, symbol_bytes};
  auto originals = cm256_originals(d);
  std::vector<unsigned char> repairs(static_cast<std::size_t>(d.m * symbol_bytes));
  for (auto _ : state) {
    codec.cm256_encode(params, originals.data(), repairs.data());
    benchmark::DoNotOptimize(repairs.data());
  }
  state.SetBytesProcessed(state.iterations() * d.k * symbol_bytes);
}

void bm_cm256_decode(benchmark::State& state) {
  block_data d(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  CM256 codec;
  CM256::cm256_encoder_params params{d.k, d.m, symbol_bytes};
  auto originals = cm256_originals(d);
  std::vector<unsigned char> repairs(static_cast<std::size_t>(d.m * symbol_bytes));
  codec.cm256_encode(params, originals.data(), repairs.data());
  const int lost = std::min(d.k, d.m);
  std::vector<std::vector<unsigned char>> work(static_cast<std::size_t>(d.k));
  std::vector<CM256::cm256_block> blocks(static_cast<std::size_t>(d.k));
  for (auto _ : state) {
    state.PauseTiming(); // cm256 decodes in place: restore the received set
    for (int i = 0; i < d.k; ++i) {
      auto& w = work[static_cast<std::size_t>(i)];
      if (i < lost) {
        w.assign(repairs.begin() + i * symbol_bytes, repairs.begin() + (i + 1) * symbol_bytes);
        blocks[static_cast<std::size_t>(i)] = {w.data(), static_cast<unsigned char>(d.k + i)};
      } else {
        w = d.symbols[static_cast<std::size_t>(i)];
        blocks[static_cast<std::size_t>(i)] = {w.data(), static_cast<unsigned char>(i)};
      }
    }
    state.ResumeTiming();
    codec.cm256_decode(params, blocks.data());
    benchmark::DoNotOptimize(blocks.data());
  }
  if (work[0] != d.symbols[0]) state.SkipWithError("cm256 rebuilt the wrong bytes");
  state.SetBytesProcessed(state.iterations() * d.k * symbol_bytes);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int k : {8, 16, 32})
    for (int m : {1, 2, 4, 8}) b->Args({k, m});
}

BENCHMARK(bm_isal_encode)->Apply(shapes);
BENCHMARK(bm_cm256_encode)->Apply(shapes);
BENCHMARK(bm_isal_decode)->Apply(shapes);
BENCHMARK(bm_cm256_decode)->Apply(shapes);

} // namespace
