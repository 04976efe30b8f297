#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto/tls_session.hpp"
#include "crypto_test_util.hpp"
#include "support/seed.hpp"

#include <tern/random.hpp>

#include <openssl/err.h>

#include <array>

using namespace tern::crypto;
using namespace tern::crypto::test;

namespace {

constexpr std::uint8_t alert_handshake_failure = 40;
constexpr std::uint8_t alert_bad_certificate = 42;
constexpr std::uint8_t alert_unknown_ca = 48;
constexpr std::uint8_t alert_certificate_required = 116;
constexpr std::uint8_t alert_no_application_protocol = 120;

void check_success(const tls_session& client, const tls_session& server) {
  CHECK_MESSAGE(client.handshake_complete(), client.error().message(), " ", client.failure_detail());
  CHECK_MESSAGE(server.handshake_complete(), server.error().message(), " ", server.failure_detail());
  CHECK_FALSE(client.error());
  CHECK_FALSE(server.error());
  CHECK_FALSE(client.alert_sent().has_value());
  CHECK_FALSE(server.alert_sent().has_value());
  CHECK(client.pending_output() == 0);
  CHECK(server.pending_output() == 0);
}

// The detecting side fails with `local` and queues `alert`; the other side,
// once it processed that alert, fails with alert_received and knows which.
void check_failure(const tls_session& detecting, crypto_errc local, std::uint8_t alert, const tls_session& other) {
  CHECK(detecting.state() == handshake_state::failed);
  CHECK_MESSAGE(detecting.error() == local, detecting.error().message(), " / ", detecting.failure_detail());
  REQUIRE(detecting.alert_sent().has_value());
  CHECK(*detecting.alert_sent() == alert);
  CHECK(other.state() == handshake_state::failed);
  CHECK_MESSAGE(other.error() == crypto_errc::alert_received, other.error().message(), " / ", other.failure_detail());
  REQUIRE(other.alert_received().has_value());
  CHECK(*other.alert_received() == alert);
}

} // namespace

TEST_CASE("tls_session: pinned self-signed server completes with ALPN and AES-128-GCM") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  CHECK(client->state() == handshake_state::in_progress);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK(client->alpn() == "tern/1");
  CHECK(server->alpn() == "tern/1");
  CHECK(client->aead() == aead_algorithm::aes_128_gcm);
  CHECK(server->aead() == aead_algorithm::aes_128_gcm);
  REQUIRE(client->peer_spki().has_value());
  CHECK(format_fingerprint(*client->peer_spki()) == pair.server.identity.fingerprint());
  CHECK_FALSE(server->peer_spki().has_value()); // no client certificate asked for
}

TEST_CASE("tls_session: the client's first flight is produced by start and the server stays quiet until input") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  CHECK_FALSE(server->start());
  CHECK(server->pending_output() == 0);
  CHECK_FALSE(client->start());
  const auto hello = take_all(*client);
  REQUIRE(hello.size() > 5);
  CHECK(hello[0] == std::byte{22}); // a TLS handshake record
  // No middlebox-compatibility ChangeCipherSpec anywhere in the flights.
  CHECK_FALSE(server->provide_input(hello));
  const auto flight = take_all(*server);
  REQUIRE(flight.size() > 5);
  CHECK(flight[0] == std::byte{22});
  for (std::size_t pos = 0; pos + 5 <= flight.size();) {
    CHECK(flight[pos] != std::byte{20});
    pos += 5 + ((static_cast<std::size_t>(flight[pos + 3]) << 8) | static_cast<std::size_t>(flight[pos + 4]));
  }
}

TEST_CASE("tls_session: Ed25519 certificates and a ChaCha20-Poly1305-only server") {
  auto pair = pinned_pair::make(key_algorithm::ed25519);
  pair.server.cipher_suites = {aead_algorithm::chacha20_poly1305};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK(client->aead() == aead_algorithm::chacha20_poly1305);
  CHECK(server->aead() == aead_algorithm::chacha20_poly1305);
}

TEST_CASE("tls_session: the server's cipher suite preference decides") {
  auto pair = pinned_pair::make();
  pair.client.cipher_suites = {aead_algorithm::aes_128_gcm, aead_algorithm::chacha20_poly1305};
  pair.server.cipher_suites = {aead_algorithm::chacha20_poly1305, aead_algorithm::aes_128_gcm};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK(client->aead() == aead_algorithm::chacha20_poly1305);
}

TEST_CASE("tls_session: a CA-signed chain with an intermediate and a matching host name completes") {
  const auto pki = test_pki::make();
  tls_config server_config;
  server_config.identity = pki.issue({"media.tern.test", "alt.tern.test"});
  tls_config client_config;
  client_config.peer.ca_pem = pki.root_pem();
  client_config.server_name = "alt.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK(client->alpn().empty());
}

TEST_CASE("tls_session: CA mode checks an IP literal against IP subjectAltNames") {
  const auto pki = test_pki::make();
  tls_config server_config;
  server_config.identity = pki.issue({"192.0.2.7"});
  tls_config client_config;
  client_config.peer.ca_pem = pki.root_pem();
  client_config.server_name = "192.0.2.7";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  check_success(*client, *server);

  client_config.server_name = "192.0.2.8";
  auto client2 = make_session(tls_role::client, client_config);
  auto server2 = make_session(tls_role::server, server_config);
  run_handshake(*client2, *server2);
  CHECK(client2->error() == crypto_errc::hostname_mismatch);
  CHECK(server2->error() == crypto_errc::alert_received);
}

TEST_CASE("tls_session: mutual TLS with pinned fingerprints both ways") {
  auto pair = pinned_pair::make();
  pair.client.identity = self_signed(key_algorithm::ed25519, "client.tern.test");
  pair.server.client_auth = client_authentication::required;
  pair.server.peer.pinned_fingerprints = {"sha-256 " + pair.client.identity.fingerprint()};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  REQUIRE(server->peer_spki().has_value());
  CHECK(format_fingerprint(*server->peer_spki()) == pair.client.identity.fingerprint());
}

TEST_CASE("tls_session: mutual TLS with CA-verified client certificates") {
  const auto pki = test_pki::make();
  tls_config server_config;
  server_config.identity = pki.issue({"server.tern.test"});
  server_config.client_auth = client_authentication::required;
  server_config.peer.ca_pem = pki.root_pem();
  tls_config client_config;
  client_config.identity = pki.issue({"client.tern.test"});
  client_config.peer.ca_pem = pki.root_pem();
  client_config.server_name = "server.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  check_success(*client, *server);
}

TEST_CASE("tls_session: optional client authentication accepts a client without a certificate") {
  auto pair = pinned_pair::make();
  pair.server.client_auth = client_authentication::optional;
  pair.server.peer.pinned_fingerprints = {self_signed().fingerprint()};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK_FALSE(server->peer_spki().has_value());
}

TEST_CASE("tls_session: a wrong pinned fingerprint fails on the client, the server gets bad_certificate") {
  auto pair = pinned_pair::make();
  pair.client.peer.pinned_fingerprints = {self_signed().fingerprint()}; // someone else's key
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_failure(*client, crypto_errc::fingerprint_mismatch, alert_bad_certificate, *server);
  CHECK_FALSE(client->handshake_complete());
  CHECK_FALSE(server->handshake_complete());
}

TEST_CASE("tls_session: accept_any completes with any server key and reports it for the caller to judge") {
  auto pair = pinned_pair::make();
  pair.client.peer.pinned_fingerprints.clear();
  pair.client.peer.accept_any = true;
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  REQUIRE(client->peer_spki().has_value());
  CHECK(format_fingerprint(*client->peer_spki()) == pair.server.identity.fingerprint());
}

TEST_CASE("tls_session: a certificate from an unknown CA fails as untrusted") {
  const auto pki = test_pki::make("real root");
  const auto other = test_pki::make("other root");
  tls_config server_config;
  server_config.identity = pki.issue({"server.tern.test"});
  tls_config client_config;
  client_config.peer.ca_pem = other.root_pem();
  client_config.server_name = "server.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  check_failure(*client, crypto_errc::certificate_untrusted, alert_unknown_ca, *server);
}

TEST_CASE("tls_session: a self-signed certificate is untrusted in CA mode") {
  tls_config server_config;
  server_config.identity = self_signed(key_algorithm::ec_p256, "server.tern.test");
  tls_config client_config;
  client_config.peer.ca_pem = test_pki::make().root_pem();
  client_config.server_name = "server.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  CHECK(client->error() == crypto_errc::certificate_untrusted);
  CHECK(server->error() == crypto_errc::alert_received);
}

TEST_CASE("tls_session: a wrong host name fails on the client") {
  const auto pki = test_pki::make();
  tls_config server_config;
  server_config.identity = pki.issue({"server.tern.test"});
  tls_config client_config;
  client_config.peer.ca_pem = pki.root_pem();
  client_config.server_name = "evil.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  CHECK(client->error() == crypto_errc::hostname_mismatch);
  REQUIRE(client->alert_sent().has_value());
  CHECK(*client->alert_sent() == alert_bad_certificate);
  REQUIRE(server->alert_received().has_value());
  CHECK(*server->alert_received() == *client->alert_sent());
  CHECK(server->error() == crypto_errc::alert_received);
}

TEST_CASE("tls_session: ALPN lists without overlap fail on the server with no_application_protocol") {
  auto pair = pinned_pair::make();
  pair.client.alpn = {"h3", "tern/0"};
  pair.server.alpn = {"tern/1", "tern/2"};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_failure(*server, crypto_errc::alpn_mismatch, alert_no_application_protocol, *client);
}

TEST_CASE("tls_session: the server picks its own most preferred ALPN the client offers") {
  auto pair = pinned_pair::make();
  pair.client.alpn = {"tern/1", "tern/2"};
  pair.server.alpn = {"tern/2", "tern/1"};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_success(*client, *server);
  CHECK(client->alpn() == "tern/2");
}

TEST_CASE("tls_session: a client offering no ALPN to a server that requires one fails on the server") {
  auto pair = pinned_pair::make();
  pair.client.alpn.clear();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_failure(*server, crypto_errc::alpn_mismatch, alert_no_application_protocol, *client);
}

TEST_CASE("tls_session: a server that answers no ALPN fails on the client") {
  auto pair = pinned_pair::make();
  pair.server.alpn.clear();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_failure(*client, crypto_errc::alpn_mismatch, alert_handshake_failure, *server);
}

TEST_CASE("tls_session: a missing client certificate fails on the server, the finished client learns late") {
  auto pair = pinned_pair::make();
  pair.server.client_auth = client_authentication::required;
  pair.server.peer.pinned_fingerprints = {self_signed().fingerprint()};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  transfer(*client, *server); // ClientHello
  transfer(*server, *client); // server flight, with CertificateRequest
  // TLS 1.3: the client finishes before the server has judged it.
  CHECK(client->handshake_complete());
  transfer(*client, *server); // empty Certificate + Finished
  transfer(*server, *client); // the alert
  check_failure(*server, crypto_errc::peer_certificate_required, alert_certificate_required, *client);
}

TEST_CASE("tls_session: a client certificate with the wrong fingerprint fails on the server") {
  auto pair = pinned_pair::make();
  pair.client.identity = self_signed(key_algorithm::ec_p256, "client.tern.test");
  pair.server.client_auth = client_authentication::required;
  pair.server.peer.pinned_fingerprints = {self_signed().fingerprint()};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  check_failure(*server, crypto_errc::fingerprint_mismatch, alert_bad_certificate, *client);
}

TEST_CASE("tls_session: a client certificate from an unknown CA fails on the server") {
  const auto pki = test_pki::make("server side root");
  const auto other = test_pki::make("client side root");
  tls_config server_config;
  server_config.identity = pki.issue({"server.tern.test"});
  server_config.client_auth = client_authentication::required;
  server_config.peer.ca_pem = pki.root_pem();
  tls_config client_config;
  client_config.identity = other.issue({"client.tern.test"});
  client_config.peer.ca_pem = pki.root_pem();
  client_config.server_name = "server.tern.test";
  auto client = make_session(tls_role::client, client_config);
  auto server = make_session(tls_role::server, server_config);
  run_handshake(*client, *server);
  check_failure(*server, crypto_errc::certificate_untrusted, alert_unknown_ca, *client);
}

TEST_CASE("tls_session: garbage instead of a ClientHello fails the server, and the client hears of it") {
  tern::random_source rng{tern::test::seed()};
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  (void)take_all(*client); // the real ClientHello is lost
  std::array<std::byte, 300> garbage{};
  rng.fill(garbage);
  garbage[0] = std::byte{0x17}; // application data before any handshake
  CHECK(server->provide_input(garbage) == crypto_errc::handshake_failed);
  CHECK(server->state() == handshake_state::failed);
  REQUIRE(server->alert_sent().has_value());
  transfer(*server, *client);
  CHECK(client->error() == crypto_errc::alert_received);
  CHECK(client->alert_received() == server->alert_sent());
}

TEST_CASE("tls_session: garbage instead of the server flight fails the client, and the server hears of it") {
  tern::random_source rng{tern::test::seed()};
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  transfer(*client, *server);
  (void)take_all(*server); // the server's flight is lost...
  std::array<std::byte, 200> garbage{};
  rng.fill(garbage);
  garbage[0] = std::byte{22}; // ...and a mangled handshake record arrives
  garbage[1] = std::byte{3};
  garbage[2] = std::byte{3};
  garbage[3] = std::byte{0};
  garbage[4] = std::byte{195};
  CHECK(client->provide_input(garbage) == crypto_errc::handshake_failed);
  REQUIRE(client->alert_sent().has_value());
  transfer(*client, *server);
  CHECK(server->state() == handshake_state::failed);
  CHECK(server->error() == crypto_errc::alert_received);
  CHECK(server->alert_received() == client->alert_sent());
}

TEST_CASE("tls_session: records delivered one byte at a time still complete the handshake") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  for (int round = 0; round < 8; ++round) {
    for (const std::byte b : take_all(*client)) CHECK_FALSE(server->provide_input(std::span{&b, 1}));
    for (const std::byte b : take_all(*server)) CHECK_FALSE(client->provide_input(std::span{&b, 1}));
  }
  check_success(*client, *server);
}

TEST_CASE("tls_session: a truncated record waits for the rest and never completes on its own") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  transfer(*client, *server);
  const auto flight = take_all(*server);
  REQUIRE(flight.size() > 10);
  const std::span first{flight.data(), flight.size() - 7};
  CHECK_FALSE(client->provide_input(first));
  CHECK(client->state() == handshake_state::in_progress);
  CHECK(client->pending_output() == 0);
  CHECK_FALSE(client->provide_input(std::span{flight}.subspan(first.size())));
  transfer(*client, *server);
  check_success(*client, *server);
}

TEST_CASE("tls_session: a record with bytes cut out fails on the receiver with bad_record_mac") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  transfer(*client, *server);
  auto flight = take_all(*server);
  REQUIRE(flight.size() > 400);
  // Drop 16 bytes from the middle of the encrypted part of the flight, and
  // end the stream with the peer's subsequent (valid-looking) bytes.
  flight.erase(flight.begin() + 300, flight.begin() + 316);
  (void)client->provide_input(flight);
  (void)client->provide_input(std::vector<std::byte>(64, std::byte{0x17}));
  CHECK(client->error() == crypto_errc::handshake_failed);
  REQUIRE(client->alert_sent().has_value());
  CHECK(*client->alert_sent() == 20); // bad_record_mac
  transfer(*client, *server);
  CHECK(server->error() == crypto_errc::alert_received);
  CHECK(server->alert_received() == client->alert_sent());
}

TEST_CASE("tls_session: a duplicated ClientHello fails the server with unexpected_message") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  const auto hello = take_all(*client);
  CHECK_FALSE(server->provide_input(hello));
  CHECK(server->provide_input(hello) == crypto_errc::handshake_failed);
  REQUIRE(server->alert_sent().has_value());
  CHECK(*server->alert_sent() == 10); // unexpected_message
  transfer(*server, *client);
  CHECK(client->error() == crypto_errc::alert_received);
  CHECK(client->alert_received() == server->alert_sent());
}

TEST_CASE("tls_session: a duplicated server flight fails the client") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  (void)client->start();
  transfer(*client, *server);
  const auto flight = take_all(*server);
  CHECK_FALSE(client->provide_input(flight));
  CHECK(client->handshake_complete());
  CHECK(client->provide_input(flight) == crypto_errc::handshake_failed);
  REQUIRE(client->alert_sent().has_value());
  transfer(*client, *server); // Finished, then the alert
  CHECK(server->error() == crypto_errc::alert_received);
  CHECK(server->alert_received() == client->alert_sent());
}

TEST_CASE("tls_session: failure is final and further input returns the same error") {
  auto pair = pinned_pair::make();
  pair.client.peer.pinned_fingerprints = {self_signed().fingerprint()};
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  REQUIRE(client->error() == crypto_errc::fingerprint_mismatch);
  const std::array<std::byte, 3> more{std::byte{1}, std::byte{2}, std::byte{3}};
  CHECK(client->provide_input(more) == crypto_errc::fingerprint_mismatch);
  CHECK(client->start() == crypto_errc::fingerprint_mismatch);
  CHECK(client->state() == handshake_state::failed);
}

TEST_CASE("tls_session: the exporter is refused before completion and agrees after") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  std::array<std::byte, 32> a{};
  std::array<std::byte, 32> b{};
  CHECK(client->export_keying_material("EXPORTER-test", a) == crypto_errc::handshake_incomplete);
  run_handshake(*client, *server);
  REQUIRE(client->handshake_complete());
  CHECK_FALSE(client->export_keying_material("EXPORTER-test", a));
  CHECK_FALSE(server->export_keying_material("EXPORTER-test", b));
  CHECK(a == b);
  CHECK(client->export_keying_material("", a) == crypto_errc::invalid_argument);
}

TEST_CASE("tls_session: TLS application data after the handshake is a protocol violation") {
  auto pair = pinned_pair::make();
  auto client = make_session(tls_role::client, pair.client);
  auto server = make_session(tls_role::server, pair.server);
  run_handshake(*client, *server);
  REQUIRE(server->handshake_complete());
  // A well-formed application-data record is still not decryptable junk to
  // the server; either way the handshake stream must not carry it.
  std::vector<std::byte> record{std::byte{23}, std::byte{3}, std::byte{3}, std::byte{0}, std::byte{40}};
  record.resize(45, std::byte{0x42});
  CHECK(server->provide_input(record) == crypto_errc::handshake_failed);
}

TEST_CASE("tls_context: invalid configurations are refused") {
  std::error_code ec;
  const tls_identity id = self_signed();

  tls_config server_without_identity;
  CHECK_FALSE(tls_context::create(tls_role::server, server_without_identity, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config client_without_verification;
  CHECK_FALSE(tls_context::create(tls_role::client, client_without_verification, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config both;
  both.peer.pinned_fingerprints = {id.fingerprint()};
  both.peer.ca_pem = id.certificate_chain_pem();
  both.server_name = "x";
  CHECK_FALSE(tls_context::create(tls_role::client, both, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config ca_without_name;
  ca_without_name.peer.ca_pem = id.certificate_chain_pem();
  CHECK_FALSE(tls_context::create(tls_role::client, ca_without_name, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config accept_any_and_pins;
  accept_any_and_pins.peer.accept_any = true;
  accept_any_and_pins.peer.pinned_fingerprints = {id.fingerprint()};
  CHECK_FALSE(tls_context::create(tls_role::client, accept_any_and_pins, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config server_accepting_any_without_client_auth;
  server_accepting_any_without_client_auth.identity = id;
  server_accepting_any_without_client_auth.peer.accept_any = true;
  CHECK_FALSE(tls_context::create(tls_role::server, server_accepting_any_without_client_auth, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config bad_pin;
  bad_pin.peer.pinned_fingerprints = {"not a fingerprint"};
  CHECK_FALSE(tls_context::create(tls_role::client, bad_pin, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config null_suite;
  null_suite.identity = id;
  null_suite.cipher_suites = {aead_algorithm::null_for_tests_only};
  CHECK_FALSE(tls_context::create(tls_role::server, null_suite, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config client_auth_without_verification;
  client_auth_without_verification.identity = id;
  client_auth_without_verification.client_auth = client_authentication::required;
  CHECK_FALSE(tls_context::create(tls_role::server, client_auth_without_verification, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config empty_alpn;
  empty_alpn.identity = id;
  empty_alpn.alpn = {""};
  CHECK_FALSE(tls_context::create(tls_role::server, empty_alpn, ec));
  CHECK(ec == crypto_errc::invalid_configuration);

  tls_config bad_ca;
  bad_ca.peer.ca_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
  bad_ca.server_name = "x";
  CHECK_FALSE(tls_context::create(tls_role::client, bad_ca, ec));
  CHECK(ec == crypto_errc::certificate_load_failed);

  tls_config missing_ca_file;
  missing_ca_file.peer.ca_file = "/nonexistent/tern-ca.pem";
  missing_ca_file.server_name = "x";
  CHECK_FALSE(tls_context::create(tls_role::client, missing_ca_file, ec));
  CHECK(ec == crypto_errc::certificate_load_failed);
  CHECK(ERR_peek_error() == 0); // the OpenSSL error queue is left empty
}
