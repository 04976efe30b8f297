// The test-only established pair (tests/support/connection_test_access.hpp,
// endpoint_test_access.hpp) that connection_fuzz starts every input from:
// both sides must be in the state a real handshake leaves, able to talk to
// each other through their endpoints at once.

#include "support/connection_test_access.hpp"
#include "support/endpoint_test_access.hpp"
#include "support/seed.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <vector>

using namespace tern;
using namespace tern::core;
using namespace std::chrono_literals;

namespace {

struct wire_pair {
  random_source rng{tern::test::seed()};
  time_point now{};
  address client_addr = address::ipv4({10, 0, 0, 1}, 40000);
  address server_addr = address::ipv4({10, 0, 0, 2}, 443);
  endpoint client_ep{endpoint_config{}, rng};
  endpoint server_ep{endpoint_config{}, rng};
  connection_test_access::established_pair pair;
  connection_handle client_handle = no_connection;
  connection_handle server_handle = no_connection;

  wire_pair() {
    connection_config cfg;
    cfg.tls.alpn = {"tern/1"};
    pair = connection_test_access::established(cfg, cfg, client_addr, server_addr, rng, now);
    client_handle = endpoint_test_access::adopt(client_ep, *pair.client, now);
    server_handle = endpoint_test_access::adopt(server_ep, *pair.server, now);
  }
  ~wire_pair() {
    client_ep.remove(client_handle);
    server_ep.remove(server_handle);
  }

  /// Both sides send what they have; it arrives one step later.
  void step() {
    std::array<std::byte, 1500> buf;
    std::vector<std::vector<std::byte>> to_server;
    std::vector<std::vector<std::byte>> to_client;
    while (auto t = pair.client->poll_transmit(buf, now)) to_server.emplace_back(buf.begin(), buf.begin() + t->size);
    while (auto t = pair.server->poll_transmit(buf, now)) to_client.emplace_back(buf.begin(), buf.begin() + t->size);
    client_ep.update(client_handle, now);
    server_ep.update(server_handle, now);
    now += 5ms;
    for (auto& d : to_server)
      CHECK(server_ep.on_datagram(d, client_addr, now).what == datagram_outcome::kind::delivered);
    for (auto& d : to_client)
      CHECK(client_ep.on_datagram(d, server_addr, now).what == datagram_outcome::kind::delivered);
    std::vector<connection_handle> ran;
    client_ep.on_timeout(now, ran);
    server_ep.on_timeout(now, ran);
  }
};

} // namespace

TEST_CASE("an established pair without TLS: confirmed both sides, data flows both ways through the endpoints") {
  wire_pair w;
  for (auto* c : {w.pair.client.get(), w.pair.server.get()}) {
    CHECK(c->is_established());
    CHECK(c->alpn() == "tern/1");
    const auto first = c->poll_event();
    REQUIRE(first);
    CHECK(first->what == connection_event::kind::handshake_complete);
  }
  CHECK(w.pair.client->is_client());
  CHECK_FALSE(w.pair.server->is_client());

  std::error_code ec;
  const auto id = w.pair.client->open_stream(stream::direction::bidi, ec);
  REQUIRE(id);
  const std::array<char, 5> hello{'h', 'e', 'l', 'l', 'o'};
  CHECK(w.pair.client->write(*id, std::as_bytes(std::span(hello)), ec) == hello.size());
  CHECK_FALSE(w.pair.client->finish(*id));
  std::optional<std::uint64_t> accepted;
  for (int i = 0; i < 20 && !accepted; ++i) {
    w.step();
    accepted = w.pair.server->accept_stream(stream::direction::bidi);
  }
  REQUIRE(accepted);
  CHECK(*accepted == *id);
  std::array<std::byte, 16> got{};
  const auto r = w.pair.server->read(*accepted, got, ec);
  CHECK_FALSE(ec);
  REQUIRE(r.bytes == hello.size());
  CHECK(std::memcmp(got.data(), hello.data(), hello.size()) == 0);
  CHECK(r.fin);

  // The other way, and the server's NEW_CONNECTION_IDs reached the client.
  CHECK(w.pair.server->write(*id, std::as_bytes(std::span(hello)), ec) == hello.size());
  std::size_t back = 0;
  for (int i = 0; i < 20 && back == 0; ++i) {
    w.step();
    back = w.pair.client->read(*id, got, ec).bytes;
  }
  CHECK(back == hello.size());
  CHECK(connection_test_access::spare_peer_ids(*w.pair.client) > 0);
  CHECK(w.pair.client->stats().packets_received > 0);
  CHECK(w.pair.client->stats().authentication_failures == 0);
  CHECK(w.pair.server->stats().authentication_failures == 0);
}
