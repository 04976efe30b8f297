// DPLPMTUD end to end: two full connections (TLS, streams) in virtual time
// across links that silently drop datagrams above a size (a path MTU with
// the don't-fragment bit and no ICMP). Each scenario moves a stream from
// client to server and checks the data arrives intact, the size the
// connections settle on, and that nothing but probes ever exceeded what the
// path carries.

#include "sim/connection_node.hpp"
#include "crypto/certificate.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "support/seed.hpp"
#include "support/sim_connection.hpp"

#include <doctest/doctest.h>

#include <tern/config.hpp>
#include <tern/random.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

using namespace tern;
using namespace std::chrono_literals;

namespace {

// With the default 50 Mbit/s path, a transfer of 48 round trips: time for
// a search of a dozen probes, each lost one detected a round trip later,
// to finish before the transfer does.
constexpr std::size_t transfer_bytes = 3'000'000;

/// What the public API searches up to by default (tern::config's
/// max_datagram_size); the scenarios use it as max_probed_datagram_size.
const std::size_t default_max = config{}.max_datagram_size;

struct scenario {
  std::string netem = "delay 10ms rate 50mbit"; // both directions
  std::size_t max_probed = default_max;  // connection_config::max_probed_datagram_size, both sides
  std::size_t link_mtu = 0;              // both directions; 0 for none
  /// Lowers the MTU of both links to this at `drop_at` (0: never).
  std::size_t dropped_mtu = 0;
  duration drop_at{0};
};

struct outcome {
  bool complete = false;
  bool intact = true;
  std::size_t received = 0;
  core::connection_stats client;
  core::connection_stats server;
  std::size_t client_size_before_drop = 0;
  sim::network_stats net;
  /// Largest datagram the client sent, probes included.
  std::size_t largest_client_datagram = 0;
};

outcome run(const scenario& sc, std::uint64_t seed) {
  random_source rng(seed);
  auto configs = test::pinned_sim_configs();
  auto& client_cfg = configs.client;
  auto& server_cfg = configs.server;
  client_cfg.max_probed_datagram_size = sc.max_probed;
  server_cfg.max_probed_datagram_size = sc.max_probed;
  const auto client_tls = test::sim_tls(crypto::tls_role::client, client_cfg);
  const auto server_tls = test::sim_tls(crypto::tls_role::server, server_cfg);
  std::error_code ec;

  sim::simulator s(seed);
  const sim::address client_addr{1, 5000};
  const sim::address server_addr{2, 4433};
  sim::connection_node client(client_cfg, rng);
  auto* conn = client.connect(client_tls, server_addr, s.now(), ec);
  REQUIRE(conn);
  sim::connection_node server(server_cfg, server_tls, rng);

  std::vector<std::byte> data(transfer_bytes);
  random_source(seed ^ 0x5eed).fill(data);
  outcome out;
  std::size_t written = 0;
  std::optional<std::uint64_t> stream;
  bool finished = false;
  client.on_activity = [&](core::connection& c, time_point) {
    if (!c.is_established()) return;
    if (!stream) stream = c.open_stream(stream::direction::uni, ec);
    if (!stream) return;
    while (written < data.size()) {
      std::error_code wec;
      const std::size_t n = c.write(*stream, std::span(data).subspan(written), wec);
      if (wec || n == 0) break;
      written += n;
    }
    if (written == data.size() && !finished) finished = !c.finish(*stream);
  };
  std::vector<std::byte> buf(65536);
  std::optional<std::uint64_t> server_stream;
  server.on_activity = [&](core::connection& c, time_point) {
    if (!server_stream) server_stream = c.accept_stream(stream::direction::uni);
    if (!server_stream) return;
    for (;;) {
      std::error_code rec;
      const auto r = c.read(*server_stream, buf, rec);
      if (rec) break;
      for (std::size_t i = 0; i < r.bytes; ++i)
        if (out.received + i >= data.size() || buf[i] != data[out.received + i]) out.intact = false;
      out.received += r.bytes;
      if (r.fin) out.complete = true;
      if (r.bytes == 0) break;
    }
  };

  const auto c = s.add_node(client, client_addr);
  const auto srv = s.add_node(server, server_addr);
  const auto fwd = s.add_link(test::netem(sc.netem), "forward");
  const auto back = s.add_link(test::netem(sc.netem), "backward");
  s.add_route(c, srv, {fwd});
  s.add_route(srv, c, {back});
  s.set_link_mtu(fwd, sc.link_mtu);
  s.set_link_mtu(back, sc.link_mtu);
  const time_point start = s.now();
  if (sc.dropped_mtu != 0) {
    s.schedule_call(start + sc.drop_at, [&] {
      out.client_size_before_drop = client.get() ? client.get()->stats().datagram_size : 0;
      s.set_link_mtu(fwd, sc.dropped_mtu);
      s.set_link_mtu(back, sc.dropped_mtu);
    });
  }
  s.set_trace([&](const sim::trace_event& e) {
    if (e.kind == sim::trace_kind::send && e.from == client_addr)
      out.largest_client_datagram = std::max<std::size_t>(out.largest_client_datagram, e.size);
  });
  s.run_until(start + 120s, [&] {
    client.activity(s.now());
    return out.complete || (client.get() && client.get()->is_closed());
  });
  REQUIRE(client.get());
  REQUIRE(server.get());
  out.client = client.get()->stats();
  out.server = server.get()->stats();
  out.net = s.stats();
  return out;
}

void check_delivered(const outcome& o) {
  CHECK_MESSAGE(o.complete, "received ", o.received, " of ", transfer_bytes);
  CHECK(o.intact);
  CHECK(o.received == transfer_bytes);
}

} // namespace

TEST_CASE("path mtu sim: a path that carries the maximum is proven by one probe per side") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  const auto o = run({}, seed);
  check_delivered(o);
  CHECK(o.client.datagram_size == default_max);
  CHECK(o.client.mtu_probes_sent == 1);
  CHECK(o.client.mtu_probes_lost == 0);
  CHECK(o.server.datagram_size == default_max);
  CHECK(o.largest_client_datagram == default_max);
  CHECK(o.net.dropped_mtu == 0);
}

TEST_CASE("path mtu sim: the search settles just below a 1350-byte path, and only probes exceed it") {
  const std::uint64_t base = tern::test::seed();
  for (std::uint64_t k = 0; k < 3; ++k) {
    const std::uint64_t seed = base + k * 7919;
    CAPTURE(seed);
    scenario sc;
    sc.link_mtu = 1350;
    const auto o = run(sc, seed);
    check_delivered(o);
    CHECK(o.client.datagram_size <= 1350);
    CHECK(o.client.datagram_size > 1350 - 8);
    CHECK(o.server.datagram_size <= 1350);
    // No random loss here: every lost probe was dropped for its size, and
    // every datagram dropped for its size was a probe, declared lost or (one
    // per side at most) still in flight when the transfer ended.
    const auto probes_lost = o.client.mtu_probes_lost + o.server.mtu_probes_lost;
    CHECK(o.net.dropped_mtu >= probes_lost);
    CHECK(o.net.dropped_mtu <= probes_lost + 2);
    CHECK(o.client.mtu_probes_lost >= 3); // default_max is given up after max_probes losses
    CHECK(o.client.mtu_black_holes == 0);
    MESSAGE("settled at ", o.client.datagram_size, " after ", o.client.mtu_probes_sent, " probes (",
            o.client.mtu_probes_lost, " lost)");
  }
}

TEST_CASE("path mtu sim: a path whose MTU shrinks mid-transfer is detected as a black hole") {
  const std::uint64_t base = tern::test::seed();
  for (std::uint64_t k = 0; k < 3; ++k) {
    const std::uint64_t seed = base + k * 7919;
    CAPTURE(seed);
    scenario sc;
    sc.netem = "delay 10ms rate 20mbit limit 200";
    sc.dropped_mtu = 1280;
    sc.drop_at = 150ms;
    const auto o = run(sc, seed);
    check_delivered(o);
    CHECK(o.client_size_before_drop == default_max);
    CHECK(o.client.mtu_black_holes >= 1);
    CHECK(o.client.datagram_size <= 1280);
    CHECK(o.client.datagram_size >= 1200);
  }
}

TEST_CASE("path mtu sim: random loss does not lower the size below what the path carries") {
  const std::uint64_t base = tern::test::seed();
  for (std::uint64_t k = 0; k < 3; ++k) {
    const std::uint64_t seed = base + k * 7919;
    CAPTURE(seed);
    scenario sc;
    sc.netem = "delay 10ms rate 50mbit loss 2%";
    const auto o = run(sc, seed);
    check_delivered(o);
    // A probe lost by chance is retried (max_probes), so the full size is
    // still found on a path that carries it.
    CHECK(o.client.datagram_size == default_max);
    CHECK(o.net.dropped_mtu == 0);
  }
}

TEST_CASE("path mtu sim: without max_probed_datagram_size the connection never probes") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  scenario sc;
  sc.max_probed = 0;
  const auto o = run(sc, seed);
  check_delivered(o);
  CHECK(o.client.mtu_probes_sent == 0);
  CHECK(o.client.datagram_size == 1200);
  CHECK(o.largest_client_datagram == 1200);
}
