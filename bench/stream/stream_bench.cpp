// Stream data-path throughput: reassembly (in order and with 5% of chunks
// reordered), send_stream chunking with acknowledgement processing, and a
// message round trip. Chunks are 1200 bytes, a typical STREAM frame payload.
#include "stream/message_receiver.hpp"
#include "stream/message_sender.hpp"
#include "stream/recv_stream.hpp"
#include "stream/send_stream.hpp"

#include <tern/random.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

using namespace tern::stream;

namespace {

constexpr std::size_t chunk = 1200;
constexpr std::size_t chunks_per_batch = 1024; // ~1.2 MB per batch

std::vector<std::byte> make_payload() {
  std::vector<std::byte> v(chunk * chunks_per_batch);
  tern::random_source rng{1};
  rng.fill(v);
  return v;
}

// Arrival order of a batch: in order, or with `percent` of the chunks each
// delayed by 1-16 positions (swapped with a later chunk).
std::vector<std::size_t> arrival_order(int percent) {
  std::vector<std::size_t> order(chunks_per_batch);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  tern::random_source rng{42};
  for (std::size_t i = 0; i + 16 < order.size(); ++i)
    if (rng.uniform(100) < static_cast<std::uint64_t>(percent))
      std::swap(order[i], order[i + 1 + rng.uniform(16)]);
  return order;
}

void reassembly(benchmark::State& state, int percent) {
  const auto payload = make_payload();
  const auto order = arrival_order(percent);
  recv_stream r{window_config{.initial = std::uint64_t{1} << 50, .max = std::uint64_t{1} << 50}};
  std::vector<std::byte> out(64 * 1024);
  std::error_code ec;
  std::uint64_t base = 0;
  for (auto _ : state) {
    for (std::size_t i : order) {
      const auto res = r.on_data(base + i * chunk, std::span{payload}.subspan(i * chunk, chunk), false);
      benchmark::DoNotOptimize(res);
      if (r.readable() >= chunk) r.read(out, ec);
    }
    while (r.readable() > 0) r.read(out, ec);
    base += payload.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
}

void BM_reassembly_in_order(benchmark::State& state) { reassembly(state, 0); }
void BM_reassembly_reordered_5pct(benchmark::State& state) { reassembly(state, 5); }

// Write a batch, hand it out in 1200-byte chunks, acknowledge each chunk
// (in order, or in pairs swapped so the acked range set has holes), and
// optionally lose 5% of chunks once (retransmitted before the ack).
void send_path(benchmark::State& state, bool swap_acks, bool lose) {
  const auto payload = make_payload();
  send_stream s{UINT64_MAX >> 2, send_config{.buffer_limit = payload.size()}};
  tern::random_source rng{7};
  struct sent {
    std::uint64_t off, len;
  };
  std::vector<sent> flight;
  flight.reserve(chunks_per_batch * 2);
  std::error_code ec;
  for (auto _ : state) {
    s.write(payload, ec);
    flight.clear();
    while (auto c = s.next_chunk(chunk)) {
      if (lose && rng.uniform(100) < 5) {
        s.on_lost(c->offset, c->data.size(), c->fin);
        continue;
      }
      flight.push_back({c->offset, c->data.size()});
    }
    if (swap_acks)
      for (std::size_t i = 0; i + 1 < flight.size(); i += 2) std::swap(flight[i], flight[i + 1]);
    for (const auto& f : flight) s.on_acked(f.off, f.len, false);
    benchmark::DoNotOptimize(s.acked_offset());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
}

void BM_send_chunk_ack_in_order(benchmark::State& state) { send_path(state, false, false); }
void BM_send_chunk_ack_swapped(benchmark::State& state) { send_path(state, true, false); }
void BM_send_chunk_ack_5pct_lost(benchmark::State& state) { send_path(state, false, true); }

// 10 000-byte messages through sender and receiver, every fragment acked.
void BM_message_round_trip(benchmark::State& state) {
  using namespace std::chrono_literals;
  message_sender tx;
  message_receiver rx;
  std::vector<std::byte> msg(10'000, std::byte{7});
  tern::time_point now{};
  std::uint64_t tag = 0;
  std::error_code ec;
  for (auto _ : state) {
    tx.send(msg, now + 400ms, now, ec);
    while (auto f = tx.next_fragment(chunk, now, 50ms, ++tag)) {
      (void)rx.on_fragment(f->message_id, f->message_length, f->offset, f->data, f->ttl, now);
      tx.on_acked({f->message_id, f->offset, f->data.size()});
    }
    auto ev = rx.poll(now);
    benchmark::DoNotOptimize(ev);
    now += 1ms;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * msg.size()));
}

} // namespace

BENCHMARK(BM_reassembly_in_order);
BENCHMARK(BM_reassembly_reordered_5pct);
BENCHMARK(BM_send_chunk_ack_in_order);
BENCHMARK(BM_send_chunk_ack_swapped);
BENCHMARK(BM_send_chunk_ack_5pct_lost);
BENCHMARK(BM_message_round_trip);
