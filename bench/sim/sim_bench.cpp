// Simulator throughput. "link events" are packets offered to a link plus
// packets leaving one; the items_per_second counter reports them per second
// of CPU time.

#include "sim/link.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <stdexcept>

using namespace std::chrono_literals;
using tern::duration;
using tern::never;
using tern::time_point;
using namespace tern::sim;

namespace {

netem_spec spec_of(const char* text) {
  auto r = parse_netem_spec(text);
  if (!r) throw std::runtime_error(r.error().message());
  return *r;
}

const char* const specs[] = {
    "delay 20ms",
    "delay 20ms 5ms distribution normal loss 1% duplicate 1% reorder 1% corrupt 0.1% limit 100000",
    "delay 20ms rate 100mbit loss gemodel 1% 30% limit 100000",
};

// The link model alone: a steady stream through one link.
void bm_link(benchmark::State& state) {
  buffer_pool pool;
  netem_link l(spec_of(specs[state.range(0)]), 1, &pool);
  time_point now{};
  std::uint64_t id = 0, events = 0;
  packet out;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      now += 10us;
      while (l.next_event() <= now) {
        if (l.dequeue(l.next_event(), out)) {
          pool.release(std::move(out.payload));
          ++events;
        } else {
          break;
        }
      }
      packet p;
      p.payload = pool.acquire();
      p.payload.resize(1200);
      p.id = ++id;
      l.enqueue(std::move(p), now);
      ++events;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.SetLabel(specs[state.range(0)]);
}
BENCHMARK(bm_link)->DenseRange(0, 2);

// A sender that keeps one datagram in flight per `interval`.
class blaster final : public node {
public:
  blaster(address peer, duration interval) : peer_(peer), interval_(interval) {}
  void on_datagram(std::span<const std::byte>, address, time_point) override {}
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now) override {
    if (now < next_) return std::nullopt;
    next_ = now + interval_;
    std::memset(out.data(), 0x5a, 1200);
    return transmit{peer_, 1200};
  }
  time_point next_timeout() const override { return next_; }
  void on_timeout(time_point) override {}

private:
  address peer_;
  duration interval_;
  time_point next_{};
};

class ack_sink final : public node {
public:
  void on_datagram(std::span<const std::byte>, address from, time_point) override {
    if (++received_ % 2 == 0) {
      pending_ = true;
      to_ = from;
    }
  }
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point) override {
    if (!pending_) return std::nullopt;
    pending_ = false;
    std::memset(out.data(), 0, 40);
    return transmit{to_, 40};
  }
  time_point next_timeout() const override { return never; }
  void on_timeout(time_point) override {}

private:
  std::uint64_t received_ = 0;
  bool pending_ = false;
  address to_;
};

// The whole event loop: a sender at 8000 packets/s of virtual time over an
// impaired link, a receiver acknowledging every second packet.
void bm_simulator(benchmark::State& state) {
  simulator sim(1);
  blaster sender({2, 1}, 125us);
  ack_sink receiver;
  const auto a = sim.add_node(sender, {1, 1});
  const auto b = sim.add_node(receiver, {2, 1});
  connect(sim, a, b, spec_of(specs[state.range(0)]), spec_of("delay 20ms"));
  for (auto _ : state) sim.run_for(100ms);
  state.SetItemsProcessed(static_cast<std::int64_t>(sim.stats().link_events));
  state.counters["loop_events/s"] =
      benchmark::Counter(static_cast<double>(sim.stats().events), benchmark::Counter::kIsRate);
  state.SetLabel(specs[state.range(0)]);
}
BENCHMARK(bm_simulator)->DenseRange(0, 2);

} // namespace
