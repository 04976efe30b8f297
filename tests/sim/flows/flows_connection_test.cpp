// Message flows between two full connections in virtual time: a reference
// frame that misses its deadline takes its dependents along before any of
// their packets go out (counted on the sender's fragments), and a peer
// naming a flow beyond the bound is closed, not indulged.

#include "sim/connection_node.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "support/connection_test_access.hpp"
#include "support/seed.hpp"
#include "support/sim_connection.hpp"
#include "wire/frames.hpp"
#include "wire/writer.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>

#include <chrono>
#include <vector>

using namespace tern;
using namespace std::chrono_literals;

namespace {

constexpr std::uint8_t video = 2;

// A client and a server connected over `link` both ways, established.
struct pair {
  explicit pair(std::uint64_t seed, const std::string& link)
      : rng(seed), configs(test::pinned_sim_configs()), s(seed),
        client(configs.client, rng), server(configs.server, test::sim_tls(crypto::tls_role::server, configs.server), rng) {
    std::error_code ec;
    REQUIRE(client.connect(test::sim_tls(crypto::tls_role::client, configs.client), {2, 4433}, s.now(), ec));
    const auto c = s.add_node(client, {1, 5000});
    const auto srv = s.add_node(server, {2, 4433});
    const auto fwd = s.add_link(test::netem(link), "forward");
    const auto back = s.add_link(test::netem(link), "backward");
    s.add_route(c, srv, {fwd});
    s.add_route(srv, c, {back});
    client_id = c;
    s.run_until(s.now() + 5s, [&] { return client.get()->is_established() && server.get() != nullptr; });
    REQUIRE(client.get()->is_established());
  }
  core::connection& tx() { return *client.get(); }
  void run_for(duration d) { s.run_until(s.now() + d, [] { return false; }); }

  random_source rng;
  test::sim_configs configs;
  sim::simulator s;
  sim::connection_node client;
  sim::connection_node server;
  sim::node_id client_id{};
};

} // namespace

TEST_CASE("flows_connection: a reference frame past its deadline: no packet of its GOP goes out afterwards") {
  const std::uint64_t seed = test::seed();
  CAPTURE(seed);
  pair p(seed, "delay 50ms");
  REQUIRE_FALSE(p.tx().configure_message_flow(video, {true, 2, 16}));
  std::vector<stream::message_event> got;
  p.server.on_activity = [&](core::connection& c, time_point now) {
    while (auto e = c.receive_message(now)) got.push_back(std::move(*e));
  };
  // The I-frame cannot arrive in time (deadline 20 ms, one-way delay 50 ms):
  // it is never sent, and is given up at its deadline.
  std::error_code ec;
  const std::vector<std::byte> i_frame(20'000, std::byte{1}), p_frame(3'000, std::byte{2});
  const auto i_id = p.tx().send_message(i_frame, p.s.now() + 20ms, p.s.now(), ec, {video, std::nullopt});
  REQUIRE(i_id);
  // Its first P-frames are queued at once (they depend on it, transitively).
  std::optional<std::uint64_t> last = i_id;
  for (int k = 0; k < 3; ++k) {
    last = p.tx().send_message(p_frame, p.s.now() + 1s, p.s.now(), ec, {video, *last});
    REQUIRE(last);
  }
  p.s.wake(p.client_id);
  const auto before = p.tx().message_flow_stats(video).fragments_sent;
  p.run_for(30ms); // the I-frame's deadline passes: the GOP goes with it
  // The rest of the GOP comes after the drop.
  for (int k = 0; k < 26; ++k) {
    last = p.tx().send_message(p_frame, p.s.now() + 1s, p.s.now(), ec, {video, *last});
    REQUIRE(last);
    p.s.wake(p.client_id);
    p.run_for(33ms);
  }
  // The next GOP's I-frame is independent and goes out.
  const auto next_i = p.tx().send_message(i_frame, p.s.now() + 1s, p.s.now(), ec, {video, std::nullopt});
  REQUIRE(next_i);
  p.s.wake(p.client_id);
  p.run_for(1s);

  const auto st = p.tx().message_flow_stats(video);
  CHECK(st.messages_abandoned == 1);
  CHECK(st.messages_dropped_dependency == 29);
  // Fragments sent at all on the video flow: the 3 early P-frames may have
  // left before the I-frame's deadline (3000 bytes each, one or two
  // fragments); after it, only the next I-frame's (20 000 bytes: at most
  // 20 fragments of >= 1000 bytes). Nothing of the 26 later P-frames.
  const auto after = st.fragments_sent - st.retransmissions;
  CHECK(after - before <= 6 + 20);
  std::uint64_t dependency_drops = 0, deadline_drops = 0, delivered = 0;
  for (const auto& e : got) {
    CHECK(e.flow == video);
    if (e.what == stream::message_event::kind::dropped) {
      dependency_drops += e.per_reason[static_cast<std::size_t>(stream::drop_reason::dependency)];
      deadline_drops += e.per_reason[static_cast<std::size_t>(stream::drop_reason::abandoned)];
    } else {
      ++delivered;
      CHECK(e.id == *next_i);
    }
  }
  CHECK(deadline_drops == 1);
  CHECK(dependency_drops == 29);
  CHECK(delivered == 1);
}

TEST_CASE("flows_connection: the later P-frames never reach a packet (fragment count exact)") {
  const std::uint64_t seed = test::seed();
  CAPTURE(seed);
  pair p(seed, "delay 50ms");
  std::error_code ec;
  const std::vector<std::byte> frame(3'000, std::byte{3});
  const auto i_id = p.tx().send_message(frame, p.s.now() + 20ms, p.s.now(), ec, {video, std::nullopt});
  REQUIRE(i_id);
  p.run_for(30ms);
  const auto before = p.tx().message_flow_stats(video).fragments_sent;
  CHECK(before == 0); // it could never arrive in time: not even sent
  std::optional<std::uint64_t> last = i_id;
  for (int k = 0; k < 29; ++k) {
    last = p.tx().send_message(frame, p.s.now() + 1s, p.s.now(), ec, {video, *last});
    REQUIRE(last);
    p.s.wake(p.client_id);
    p.run_for(33ms);
  }
  CHECK(p.tx().message_flow_stats(video).fragments_sent == 0);
  CHECK(p.tx().message_flow_stats(video).messages_dropped_dependency == 29);
}

TEST_CASE("flows_connection: a FLOW_MESSAGE on flow 16 closes the connection with PROTOCOL_VIOLATION") {
  const std::uint64_t seed = test::seed();
  CAPTURE(seed);
  pair p(seed, "delay 10ms");
  std::vector<std::byte> buf(64);
  wire::writer w{buf};
  const std::vector<std::byte> data(4, std::byte{7});
  wire::datagram_frame f{data, true, wire::message_fields{0, 4, 0, 100ms, max_message_flows, false}};
  REQUIRE_FALSE(wire::encode(w, f));
  core::connection_test_access::inject_frames(p.tx(), std::span(buf).first(w.position()));
  p.s.wake(p.client_id);
  p.run_for(1s);
  core::connection* srv = p.server.get();
  REQUIRE(srv);
  CHECK(srv->state() != core::connection_state::established);
  CHECK(srv->close_reason().code == static_cast<std::uint64_t>(wire::transport_error::protocol_violation));
}
