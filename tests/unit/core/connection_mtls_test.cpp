// Mutual TLS at the connection level: a server that requires a client
// certificate (tls_config::client_auth = required) verifies it like a
// client verifies the server (here: a pinned SPKI fingerprint); a missing
// or wrong certificate fails the handshake on both sides with a clear
// error and never lets the client reach established.

#include "harness.hpp"

#include "crypto/crypto_error.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

const crypto::tls_identity& client_identity() {
  static const crypto::tls_identity id = make_identity("client.tern.test");
  return id;
}

/// Pinned configs where the server requires a client certificate and pins
/// client_identity(); the client presents `presented` (empty: none).
std::pair<connection_config, connection_config> mutual_configs(const crypto::tls_identity* presented) {
  auto configs = pinned_configs();
  if (presented) configs.first.tls.identity = *presented;
  configs.second.tls.client_auth = crypto::client_authentication::required;
  configs.second.tls.peer.pinned_fingerprints = {client_identity().fingerprint()};
  return configs;
}

bool both_closed(network& net) { return net.client->is_closed() && net.server && net.server->is_closed(); }

/// The failure seen on both sides: the server detected `server_error`, the
/// client learnt from the alert that its certificate was refused
/// (`client_error`); same wire code (0x100 + TLS alert).
void check_rejected(network& net, crypto::crypto_errc server_error, crypto::crypto_errc client_error) {
  REQUIRE(net.server);
  CHECK(net.server->close_reason().error == server_error);
  CHECK_FALSE(net.server->close_reason().remote);
  CHECK(net.client->close_reason().error == client_error);
  CHECK(net.client->close_reason().remote);
  CHECK(net.client->close_reason().code == net.server->close_reason().code);
  CHECK(net.server->close_reason().code > 0x100);
  CHECK(net.server->close_reason().code < 0x200);
  for (const auto& e : net.client_events) CHECK(e.what != connection_event::kind::handshake_complete);
  for (const auto& e : net.server_events) CHECK(e.what != connection_event::kind::handshake_complete);
}

} // namespace

TEST_CASE("connection: mutual TLS, the required client certificate is verified and the handshake completes") {
  network net(mutual_configs(&client_identity()));
  REQUIRE(net.handshake());
  REQUIRE(net.server->peer_fingerprint());
  REQUIRE(net.client->peer_fingerprint());
  CHECK(crypto::format_fingerprint(*net.server->peer_fingerprint()) == client_identity().fingerprint());
  CHECK(crypto::format_fingerprint(*net.client->peer_fingerprint()) == server_identity().fingerprint());
}

TEST_CASE("connection: mutual TLS, the client hears handshake_complete at confirmation, two RTTs") {
  // The server judges the client's certificate after the client's Finished:
  // a client told at completion (one RTT) could be refused after success.
  network net(mutual_configs(&client_identity()));
  net.one_way = 50ms;
  CHECK(client_handshake_event(net) == 200ms);
  CHECK(net.client->is_established());
}

TEST_CASE("connection: mutual TLS, a client without a certificate is rejected on both sides") {
  network net(mutual_configs(nullptr));
  net.start();
  net.run_until([&] { return both_closed(net); }, 10s);
  CHECK(both_closed(net));
  check_rejected(net, crypto::crypto_errc::peer_certificate_required, crypto::crypto_errc::peer_requires_certificate);
}

TEST_CASE("connection: mutual TLS, a client with the wrong certificate is rejected on both sides") {
  const crypto::tls_identity stranger = make_identity("stranger.tern.test");
  network net(mutual_configs(&stranger));
  net.start();
  net.run_until([&] { return both_closed(net); }, 10s);
  CHECK(both_closed(net));
  check_rejected(net, crypto::crypto_errc::fingerprint_mismatch, crypto::crypto_errc::peer_rejected_certificate);
}
