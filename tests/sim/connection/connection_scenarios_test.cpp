// Full connections over netem links in virtual time: every byte written on
// the client's stream must arrive at the server intact, in order, exactly
// once, within a virtual-time bound (the connection never hangs), across
// loss, burst loss, reordering, duplication, corruption, rate limits, a 5 s
// blackout and a NAT rebinding, for several seeds.

#include "sim/connection_node.hpp"
#include "crypto/certificate.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "support/seed.hpp"
#include "support/sim_connection.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace tern;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t transfer_bytes = 150'000;
#else
constexpr std::size_t transfer_bytes = 1'000'000;
#endif

struct outcome {
  bool complete = false;
  bool intact = true;
  std::size_t received = 0;
  duration elapsed{};
};

struct scenario {
  std::string forward;  // client -> server
  std::string backward; // server -> client
  bool blackout = false;
  bool rebind = false;
  duration bound = 120s;
};

outcome run(const scenario& sc, std::uint64_t seed) {
  random_source rng(seed);
  auto configs = test::pinned_sim_configs();
  auto& client_cfg = configs.client;
  auto& server_cfg = configs.server;
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

  const auto data = [&] {
    random_source r(seed ^ 0x5eed);
    std::vector<std::byte> v(transfer_bytes);
    r.fill(v);
    return v;
  }();
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
  server.on_activity = [&](core::connection& c, time_point) {
    while (auto id = c.accept_stream(stream::direction::uni)) stream = stream ? stream : id;
    if (!stream) return;
    for (;;) {
      std::error_code rec;
      const auto r = c.read(*stream, buf, rec);
      if (rec) break;
      for (std::size_t i = 0; i < r.bytes; ++i) {
        if (out.received + i >= data.size() || buf[i] != data[out.received + i]) out.intact = false;
      }
      out.received += r.bytes;
      if (r.fin) out.complete = true;
      if (r.bytes == 0) break;
    }
  };

  const auto c = s.add_node(client, client_addr);
  const auto srv = s.add_node(server, server_addr);
  const auto fwd = s.add_link(test::netem(sc.forward), "forward");
  const auto back = s.add_link(test::netem(sc.backward), "backward");
  s.add_route(c, srv, {fwd});
  s.add_route(srv, c, {back});
  const time_point start = s.now();
  if (sc.blackout) {
    s.schedule_spec(start + 300ms, fwd, test::netem("loss 100%"));
    s.schedule_spec(start + 300ms, back, test::netem("loss 100%"));
    s.schedule_spec(start + 5300ms, fwd, test::netem(sc.forward));
    s.schedule_spec(start + 5300ms, back, test::netem(sc.backward));
  }
  if (sc.rebind) s.schedule_rebind(start + 400ms, c, sim::address{1, 6000});
  // Kick the client's application side once the handshake is done.
  s.run_until(start + sc.bound, [&] {
    client.activity(s.now());
    return out.complete || (client.get() && client.get()->is_closed());
  });
  out.elapsed = s.now() - start;
  if (sc.rebind) {
    REQUIRE(server.get());
    CHECK(server.get()->peer_address() == sim::to_tern(sim::address{1, 6000}));
  }
  return out;
}

void check_matrix(const scenario& sc) {
  const std::uint64_t base = tern::test::seed();
  for (std::uint64_t k = 0; k < 3; ++k) {
    const std::uint64_t seed = base + k * 7919;
    CAPTURE(seed);
    const auto o = run(sc, seed);
    CHECK_MESSAGE(o.complete, "received ", o.received, " of ", transfer_bytes, " in ",
                  std::chrono::duration<double>(o.elapsed).count(), " s");
    CHECK(o.intact);
    CHECK(o.received == transfer_bytes);
    const std::string name = sc.forward + (sc.blackout ? " +blackout" : "") + (sc.rebind ? " +rebind" : "");
    MESSAGE(name, ": ", o.received,
            " bytes in ", std::chrono::duration<double>(o.elapsed).count(), " s virtual");
  }
}

} // namespace

TEST_CASE("connection sim: clean 40 ms path") { check_matrix({"delay 20ms", "delay 20ms"}); }
TEST_CASE("connection sim: 1% loss") { check_matrix({"delay 20ms loss 1%", "delay 20ms loss 1%"}); }
TEST_CASE("connection sim: 5% loss") { check_matrix({"delay 20ms loss 5%", "delay 20ms loss 5%"}); }
TEST_CASE("connection sim: 20% loss") { check_matrix({"delay 20ms loss 20%", "delay 20ms loss 20%"}); }
TEST_CASE("connection sim: Gilbert-Elliott burst loss") {
  check_matrix({"delay 20ms loss gemodel 2% 20% 50% 0%", "delay 20ms loss gemodel 2% 20% 50% 0%"});
}
TEST_CASE("connection sim: 25% reordering") {
  check_matrix({"delay 20ms reorder 25% 50%", "delay 20ms reorder 25% 50%"});
}
TEST_CASE("connection sim: 5% duplication") {
  check_matrix({"delay 20ms duplicate 5%", "delay 20ms duplicate 5%"});
}
TEST_CASE("connection sim: 1% corruption") { check_matrix({"delay 20ms corrupt 1%", "delay 20ms corrupt 1%"}); }
TEST_CASE("connection sim: 10 Mbit/s rate limit with a queue") {
  check_matrix({"delay 20ms rate 10mbit limit 100", "delay 20ms rate 10mbit limit 100"});
}
TEST_CASE("connection sim: a 5 s blackout mid-transfer") {
  scenario sc{"delay 20ms rate 2mbit limit 100", "delay 20ms", true, false};
  check_matrix(sc);
}
TEST_CASE("connection sim: NAT rebinding mid-transfer") {
  scenario sc{"delay 20ms rate 2mbit limit 100", "delay 20ms", false, true};
  check_matrix(sc);
}
