// Unreliable datagrams in 0-RTT (docs/protocol.md §4.9; docs/crypto.md,
// "What may be sent early"): only when the client asks
// (resumption_offer::early_datagrams) and the server takes them
// (connection_config::accept_early_datagrams); by default a client's
// datagrams wait for the handshake and a server drops early ones unread.
// Virtual time, 50 ms each way, so the arrival times are exact.

#include "harness.hpp"
#include "resumption_support.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

struct arrivals {
  std::vector<std::vector<std::byte>> datagrams;
  duration first{};
};

/// Sends `payloads` as datagrams right after connect, then runs until the
/// server has `expect` of them, and 500 ms longer (a late or duplicate
/// delivery would show). Arrival time from connect.
arrivals send_early(network& net, const std::vector<std::vector<std::byte>>& payloads, std::size_t expect) {
  net.start();
  const time_point start = net.now;
  for (const auto& p : payloads) REQUIRE_FALSE(net.client->send_datagram(p));
  arrivals out;
  const auto drain = [&] {
    if (!net.server) return;
    std::vector<std::byte> buf(2000);
    while (auto n = net.server->receive_datagram(buf)) {
      if (out.datagrams.empty()) out.first = net.now - start;
      out.datagrams.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
  };
  if (expect > 0)
    REQUIRE(net.run_until([&] {
      drain();
      return out.datagrams.size() >= expect;
    }, 5s));
  (void)net.run_until([&] {
    drain();
    return false;
  }, 500ms);
  return out;
}

std::pair<connection_config, connection_config> early_datagram_configs(bool server_accepts) {
  auto configs = resumable_configs(true);
  configs.second.accept_early_datagrams = server_accepts;
  return configs;
}

} // namespace

TEST_CASE("0-RTT datagrams: asked for and taken, a datagram reaches the server one way after connect") {
  const auto configs = early_datagram_configs(true);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  net.client_early_datagrams = true;
  const auto a = pattern(300, 61);
  const auto b = pattern(200, 62);
  const auto got = send_early(net, {a, b}, 2);
  REQUIRE(got.datagrams.size() == 2);
  CHECK(got.datagrams[0] == a);
  CHECK(got.datagrams[1] == b);
  CHECK(got.first == 50ms);
  CHECK(net.client->early_data_accepted());
  CHECK(net.server->stats().early_datagrams_received == 2);
  CHECK(net.server->stats().early_datagrams_refused == 0);
}

TEST_CASE("0-RTT datagrams: a server that does not take them drops them unread and the connection goes on") {
  const auto configs = early_datagram_configs(false); // the default
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  net.client_early_datagrams = true;
  const auto got = send_early(net, {pattern(300, 63)}, 0);
  CHECK(got.datagrams.empty());
  CHECK(net.server->stats().early_datagrams_refused == 1);
  CHECK(net.server->stats().early_datagrams_received == 0);
  // The rest of the early data was accepted and the connection works.
  CHECK(net.client->early_data_accepted());
  REQUIRE(net.client->state() == connection_state::established);
  const auto later = pattern(100, 64);
  REQUIRE_FALSE(net.client->send_datagram(later));
  std::vector<std::byte> buf(2000);
  std::optional<std::size_t> n;
  REQUIRE(net.run_until([&] { return (n = net.server->receive_datagram(buf)).has_value(); }, 1s));
  CHECK(std::vector<std::byte>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n)) == later);
}

TEST_CASE("0-RTT datagrams: without the client's option, a datagram waits for the handshake") {
  const auto configs = early_datagram_configs(true);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms); // early data on, datagrams not
  const auto got = send_early(net, {pattern(300, 65)}, 1);
  REQUIRE(got.datagrams.size() == 1);
  // One RTT of handshake, then one way under 1-RTT keys.
  CHECK(got.first == 150ms);
  CHECK(net.server->stats().early_datagrams_received == 0);
  CHECK(net.server->stats().early_datagrams_refused == 0);
}

TEST_CASE("0-RTT datagrams: rejected early data loses its datagrams (sent once), delivers nothing twice") {
  auto configs = early_datagram_configs(true);
  configs.second.tls.tickets.accept_early_data = false; // tickets still resume
  network net(configs);
  resume_early(net, rejecting_ticket(), 50ms);
  net.client_early_datagrams = true;
  const auto got = send_early(net, {pattern(300, 66)}, 0);
  CHECK(got.datagrams.empty());
  CHECK_FALSE(net.client->early_data_accepted());
  CHECK(net.server->stats().early_datagrams_received == 0);
}
