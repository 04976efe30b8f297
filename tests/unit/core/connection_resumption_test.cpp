// Session tickets and resumption at the connection (docs/crypto.md,
// "Resumption"; connection_resumption.cpp): the client keeps the server's
// ticket, the next connection resumes without certificates, and a ticket
// the server cannot use leaves a full handshake.

#include "harness.hpp"

#include "crypto/crypto_error.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

/// Pinned configs whose server issues tickets (one key ring for every
/// network made from them) and whose client keeps them.
std::pair<connection_config, connection_config> resumable_configs(bool early_data = false) {
  auto configs = pinned_configs();
  std::error_code ec;
  static const auto ring = crypto::ticket_key_ring::generate(ec);
  configs.second.tls.tickets.keys = ring;
  configs.second.tls.tickets.accept_early_data = early_data;
  configs.second.tls.tickets.replay = std::make_shared<crypto::replay_guard>(1000);
  configs.first.tls.resumption = true;
  return configs;
}

std::vector<std::byte> ticket_from(network& net) {
  REQUIRE(net.handshake());
  REQUIRE(net.run_until([&] { return !net.client->session_ticket().empty(); }, 1s));
  return net.client->session_ticket();
}

} // namespace

TEST_CASE("resumption: the client receives a ticket after the handshake and the next connection resumes") {
  const auto configs = resumable_configs();
  network first(configs);
  const auto ticket = ticket_from(first);
  CHECK_FALSE(first.client->resumed());
  CHECK_FALSE(first.server->resumed());
  // The kept TLS session is freed once the ticket arrived, keeping what the
  // connection reports.
  CHECK(first.client->alpn() == "tern/1");
  REQUIRE(first.client->peer_fingerprint());

  network second(configs);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK(second.client->resumed());
  CHECK(second.server->resumed());
  CHECK_FALSE(second.client->ticket_refused());
  REQUIRE(second.client->peer_fingerprint());
  CHECK(crypto::format_fingerprint(*second.client->peer_fingerprint()) == server_identity().fingerprint());
  // A fresh ticket from the resumed connection too.
  REQUIRE(second.run_until([&] { return !second.client->session_ticket().empty(); }, 1s));
  CHECK(second.client->session_ticket() != ticket);

  // Data flows on the resumed connection.
  std::error_code ec;
  const auto id = second.client->open_stream(stream::direction::bidi, ec);
  REQUIRE(id);
  const auto data = pattern(5000, 7);
  CHECK(second.client->write(*id, data, ec) == data.size());
  REQUIRE_FALSE(second.client->finish(*id));
  std::vector<std::byte> got;
  REQUIRE(second.run_until([&] {
    if (auto s = second.server->accept_stream(stream::direction::bidi)) (void)s;
    std::array<std::byte, 4096> buf{};
    auto r = second.server->read(*id, buf, ec);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    return r.fin;
  }));
  CHECK(got == data);
}

TEST_CASE("resumption: a server with other ticket keys falls back to a full handshake") {
  network first(resumable_configs());
  const auto ticket = ticket_from(first);
  auto other = resumable_configs();
  std::error_code ec;
  other.second.tls.tickets.keys = crypto::ticket_key_ring::generate(ec);
  network second(other);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK_FALSE(second.client->resumed());
  CHECK_FALSE(second.server->resumed());
}

TEST_CASE("resumption: a ticket the client will not offer is reported and the handshake is full") {
  network first(resumable_configs());
  const auto ticket = ticket_from(first);
  auto other = resumable_configs();
  other.first.tls.alpn = {"tern/2"};
  other.second.tls.alpn = {"tern/1", "tern/2"};
  network second(other);
  second.client_ticket = ticket;
  REQUIRE(second.handshake());
  CHECK(second.client->ticket_refused() == crypto::crypto_errc::ticket_mismatch);
  CHECK_FALSE(second.client->resumed());
  CHECK(second.client->alpn() == "tern/2");
}

TEST_CASE("resumption: a client that does not keep tickets frees its session at confirmation") {
  auto configs = resumable_configs();
  configs.first.tls.resumption = false;
  network net(configs);
  REQUIRE(net.handshake());
  REQUIRE(net.run_until([] { return false; }, 200ms) == false);
  CHECK(net.client->session_ticket().empty());
  CHECK(net.client->is_established()); // the ticket's CRYPTO bytes broke nothing
}
