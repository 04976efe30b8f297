#include "sim/simulator.hpp"
#include "sim/topology.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "support/seed.hpp"

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

// Sends `count` datagrams of `size` bytes to `peer`, one every `interval`
// starting at `start`; each carries its sequence number and send time.
// Records replies and their round-trip times.
class pinger final : public node {
public:
  pinger(address peer, int count, duration interval, std::size_t size = 100, time_point start = time_point{})
      : peer_(peer), count_(count), interval_(interval), size_(size), next_(start) {}

  void on_datagram(std::span<const std::byte> bytes, address from, time_point now) override {
    std::int64_t sent_ns = 0;
    std::memcpy(&sent_ns, bytes.data() + 4, sizeof sent_ns);
    rtts.push_back(now - time_point{duration{sent_ns}});
    reply_from.insert(from);
  }
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now) override {
    if (sent >= count_ || now < next_) return std::nullopt;
    const auto seq = static_cast<std::uint32_t>(sent);
    const std::int64_t ns = now.time_since_epoch().count();
    std::memset(out.data(), 0xab, size_);
    std::memcpy(out.data(), &seq, sizeof seq);
    std::memcpy(out.data() + 4, &ns, sizeof ns);
    ++sent;
    next_ += interval_;
    return transmit{peer_, size_};
  }
  time_point next_timeout() const override { return sent < count_ ? next_ : never; }
  void on_timeout(time_point) override {}

  std::vector<duration> rtts;
  std::set<address> reply_from;
  int sent = 0;

private:
  address peer_;
  int count_;
  duration interval_;
  std::size_t size_;
  time_point next_;
};

// Sends every datagram back to whoever it came from.
class echo final : public node {
public:
  void on_datagram(std::span<const std::byte> bytes, address from, time_point now) override {
    queue_.push_back({std::vector<std::byte>(bytes.begin(), bytes.end()), from});
    seen_from.insert(from);
    arrivals.push_back(now);
    ++received;
  }
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point) override {
    if (queue_.empty()) return std::nullopt;
    auto [bytes, to] = std::move(queue_.front());
    queue_.pop_front();
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return transmit{to, bytes.size()};
  }
  time_point next_timeout() const override { return never; }
  void on_timeout(time_point) override {}

  std::set<address> seen_from;
  std::vector<time_point> arrivals;
  int received = 0;

private:
  std::deque<std::pair<std::vector<std::byte>, address>> queue_;
};

// Counts bytes received per sender.
class sink final : public node {
public:
  void on_datagram(std::span<const std::byte> bytes, address, time_point now) override {
    bytes_ += bytes.size();
    last = now;
  }
  std::optional<transmit> poll_transmit(std::span<std::byte>, time_point) override { return std::nullopt; }
  time_point next_timeout() const override { return never; }
  void on_timeout(time_point) override {}
  std::uint64_t bytes() const { return bytes_; }
  time_point last{};

private:
  std::uint64_t bytes_ = 0;
};

const address client_addr{1, 5000};
const address server_addr{2, 443};

} // namespace

TEST_CASE("point-to-point: echo round trips take the two one-way delays") {
  simulator sim(tern::test::seed());
  pinger client(server_addr, 100, 10ms);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  const auto path = connect(sim, c, s, spec_of("delay 30ms"), spec_of("delay 20ms"));
  sim.run_until(time_point{} + 5s);
  REQUIRE(client.rtts.size() == 100);
  for (auto rtt : client.rtts) CHECK(rtt == 50ms);
  CHECK(server.seen_from == std::set<address>{client_addr});
  CHECK(client.reply_from == std::set<address>{server_addr});
  CHECK(sim.stats(path.forward).packets_out == 100);
  CHECK(sim.stats(path.backward).packets_out == 100);
  CHECK(sim.stats().sent == 200);
  CHECK(sim.stats().delivered == 200);
  CHECK(sim.now() == time_point{} + 5s);
}

TEST_CASE("set_link_mtu drops larger datagrams on that link only, from the moment it is set") {
  simulator sim(tern::test::seed());
  pinger big(server_addr, 20, 10ms, 1300);
  echo server;
  const auto c = sim.add_node(big, client_addr);
  const auto s = sim.add_node(server, server_addr);
  const auto path = connect(sim, c, s, spec_of("delay 5ms"), spec_of("delay 5ms"));
  sim.set_link_mtu(path.forward, 1300); // exactly the datagram size: carried
  sim.run_until(time_point{} + 99ms); // sent at 0-90 ms, the last arrives at 95 ms
  CHECK(server.received == 10);
  sim.set_link_mtu(path.forward, 1299);
  sim.run_until(time_point{} + 1s);
  CHECK(server.received == 10);
  CHECK(sim.stats().dropped_mtu == 10);
  CHECK(sim.stats(path.forward).packets_in == 10); // the netem model never saw the others
  CHECK(big.rtts.size() == 10);                     // the echoes came back over the unlimited link
  CHECK_THROWS_AS(sim.set_link_mtu(99, 1200), std::system_error);
}

TEST_CASE("run_until with a condition stops at the instant it holds") {
  simulator sim(tern::test::seed());
  pinger client(server_addr, 10, 10ms);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  connect(sim, c, s, spec_of("delay 5ms"), spec_of("delay 5ms"));
  CHECK(sim.run_until(time_point{} + 10s, [&] { return client.rtts.size() == 3; }));
  CHECK(sim.now() == time_point{} + 30ms); // third reply: sent at 20 ms, back 10 ms later
  CHECK_FALSE(sim.run_until(time_point{} + 10s, [&] { return client.rtts.size() == 11; }));
  CHECK(sim.now() == time_point{} + 10s);
}

TEST_CASE("node timers fire at next_timeout") {
  simulator sim(tern::test::seed(), time_point{} + 1s);
  function_node n;
  std::vector<time_point> fired;
  time_point deadline = time_point{} + 1s + 250ms;
  n.timeout = [&] { return deadline; };
  n.timer = [&](time_point now) {
    fired.push_back(now);
    deadline = fired.size() < 3 ? now + 100ms : never;
  };
  sim.add_node(n, {1, 1});
  sim.run_until(time_point{} + 10s);
  REQUIRE(fired.size() == 3);
  CHECK(fired[0] == time_point{} + 1250ms);
  CHECK(fired[1] == time_point{} + 1350ms);
  CHECK(fired[2] == time_point{} + 1450ms);
  CHECK(sim.next_event_time() == never);
}

TEST_CASE("dumbbell: two flows share one bottleneck") {
  simulator sim(tern::test::seed());
  // Each sender offers 8 Mbit/s (1000 bytes every 1 ms) into a 10 Mbit/s bottleneck.
  pinger a(address{20, 1}, 5000, 1ms, 1000), b(address{21, 1}, 5000, 1ms, 1000, time_point{} + 500us);
  sink ra, rb;
  const auto na = sim.add_node(a, {10, 1});
  const auto nb = sim.add_node(b, {11, 1});
  const auto nra = sim.add_node(ra, {20, 1});
  const auto nrb = sim.add_node(rb, {21, 1});
  const dumbbell_pair pairs[] = {{na, nra, spec_of("delay 5ms"), spec_of("delay 5ms")},
                                 {nb, nrb, spec_of("delay 25ms"), spec_of("delay 25ms")}};
  const auto d = make_dumbbell(sim, pairs, spec_of("delay 10ms rate 10mbit limit 50"), spec_of("delay 10ms"));
  sim.run_until(time_point{} + 6s);
  const auto& bn = sim.stats(d.bottleneck_forward);
  CHECK(bn.packets_in == 10000); // both flows enter the same link
  CHECK(bn.dropped_limit > 0);   // 16 Mbit/s offered into 10 Mbit/s
  CHECK(bn.packets_out + bn.dropped_limit == bn.packets_in);
  // The bottleneck ran at its rate while both flows were sending (5 s).
  const double delivered_bits = 8.0 * static_cast<double>(ra.bytes() + rb.bytes());
  CHECK(delivered_bits == doctest::Approx(10e6 * 5.0).epsilon(0.01));
  CHECK(ra.bytes() > 1'000'000);
  CHECK(rb.bytes() > 1'000'000);
  CHECK(d.access_forward.size() == 2);
  CHECK(sim.stats(d.access_forward[0]).packets_out == 5000);
  CHECK(bn.queue_delay_max > 20ms); // the limit counts delayed packets too, so fewer than 50 wait
}

TEST_CASE("NAT rebinding changes the source address the far side sees") {
  simulator sim(tern::test::seed());
  pinger client(server_addr, 40, 50ms);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  connect(sim, c, s, spec_of("delay 20ms"), spec_of("delay 20ms"));
  const address rebound{1, 6001};
  sim.schedule_rebind(time_point{} + 1010ms, c, rebound);
  sim.run_until(time_point{} + 5s);
  CHECK(server.seen_from == std::set<address>{client_addr, rebound});
  CHECK(sim.public_address(c) == rebound);
  CHECK(sim.local_address(c) == client_addr);
  // The reply to the ping sent at 1000 ms was addressed to the old mapping and
  // arrives after the rebinding: it is unroutable. Every other ping returns.
  CHECK(sim.stats().unroutable == 1);
  CHECK(client.rtts.size() == 39);
}

TEST_CASE("time-varying schedule: a blackout mid-run") {
  simulator sim(tern::test::seed());
  pinger client(server_addr, 300, 10ms);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  const auto path = connect(sim, c, s, {}, spec_of("delay 10ms"), "path");
  auto sched = parse_schedule("at 0s: delay 10ms; at 1s path.fwd: blackout; at 2s: delay 10ms");
  REQUIRE(sched.ok());
  sim.apply_schedule(path.forward, *sched, sim.now());
  sim.run_until(time_point{} + 4s);
  // Pings leave at 0, 10, ..., 2990 ms; those sent in [1 s, 2 s) vanish.
  CHECK(server.received == 200);
  for (auto t : server.arrivals) {
    const bool in_blackout = t >= time_point{} + 1010ms && t < time_point{} + 2010ms;
    CHECK_FALSE(in_blackout);
  }
  CHECK(sim.stats(path.forward).lost == 100);
  CHECK(sim.link_at(path.forward).spec().delay == 10ms);
}

TEST_CASE("datagrams to an unknown address are unroutable") {
  simulator sim(tern::test::seed());
  pinger client(address{9, 9}, 5, 1ms);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  connect(sim, c, s, {}, {});
  std::vector<trace_kind> kinds;
  sim.set_trace([&](const trace_event& e) { kinds.push_back(e.kind); });
  sim.run_until(time_point{} + 1s);
  CHECK(sim.stats().unroutable == 5);
  CHECK(server.received == 0);
  CHECK(std::count(kinds.begin(), kinds.end(), trace_kind::unroutable) == 5);
}

namespace {

struct run_result {
  std::uint64_t digest;
  std::uint64_t events;
  network_stats stats;
  std::map<trace_kind, int> kinds;
  link_stats forward;
};

run_result impaired_run(std::uint64_t seed) {
  simulator sim(seed);
  pinger client(server_addr, 3000, 1ms, 600);
  echo server;
  const auto c = sim.add_node(client, client_addr);
  const auto s = sim.add_node(server, server_addr);
  const auto path = connect(sim, c, s,
                            spec_of("delay 20ms 5ms 25% distribution normal loss gemodel 2% 30% duplicate 2% "
                                    "reorder 5% corrupt 1% rate 10mbit"),
                            spec_of("delay 20ms 10ms distribution pareto loss 1% 10%"));
  trace_digest digest;
  run_result r{};
  sim.set_trace([&](const trace_event& e) {
    digest(e);
    ++r.kinds[e.kind];
  });
  sim.run_until(time_point{} + 5s);
  r.digest = digest.value();
  r.events = digest.events();
  r.stats = sim.stats();
  r.forward = sim.stats(path.forward);
  return r;
}

} // namespace

TEST_CASE("determinism: one seed, one packet trace") {
  const auto a = impaired_run(tern::test::seed());
  const auto b = impaired_run(tern::test::seed());
  const auto c = impaired_run(tern::test::seed() + 1);
  CHECK(a.events > 10000);
  CHECK(a.digest == b.digest);
  CHECK(a.events == b.events);
  CHECK(a.digest != c.digest);
}

TEST_CASE("trace events agree with the counters") {
  const auto r = impaired_run(tern::test::seed());
  CHECK(r.kinds.at(trace_kind::send) == static_cast<int>(r.stats.sent));
  CHECK(r.kinds.at(trace_kind::deliver) == static_cast<int>(r.stats.delivered));
  CHECK(r.kinds.at(trace_kind::lost) > 0);
  CHECK(r.kinds.at(trace_kind::duplicated) > 0);
  CHECK(r.forward.packets_in == 3000);
  CHECK(r.forward.duplicated > 0);
  CHECK(r.forward.corrupted > 0);
  CHECK(r.forward.reordered > 0);
  CHECK(r.forward.delay_max > 20ms);
  CHECK(r.forward.mean_delay_seconds() > 0.015);
  auto count = [&](trace_kind k) { return r.kinds.contains(k) ? r.kinds.at(k) : 0; };
  // Offers (enqueued, lost or tail-dropped, minus the copies a link made)
  // plus exits.
  CHECK(r.stats.link_events ==
        static_cast<std::uint64_t>(count(trace_kind::enqueue) + count(trace_kind::lost) +
                                   count(trace_kind::dropped_limit) + count(trace_kind::exit) -
                                   count(trace_kind::duplicated)));
}

TEST_CASE("setup errors are reported with tern.sim codes") {
  simulator sim(1);
  echo a, b;
  sim.add_node(a, {1, 1});
  try {
    sim.add_node(b, {1, 1});
    FAIL("expected an error");
  } catch (const std::system_error& e) {
    CHECK(e.code() == sim_errc::address_in_use);
    CHECK(std::string{e.code().category().name()} == "tern.sim");
  }
  CHECK_THROWS_AS(sim.add_route(0, 7, {}), std::system_error);
  CHECK_THROWS_AS(sim.link_at(3), std::system_error);
}
