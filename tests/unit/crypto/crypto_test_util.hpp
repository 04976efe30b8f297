#pragma once

// Helpers shared by the crypto unit tests: test vectors in hex, in-memory
// certificates, and a pump that shuttles TLS bytes between two sessions the
// way a connection would carry them in CRYPTO frames.

#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// Failed checks on error codes print "tern.crypto: fingerprint mismatch"
// rather than nothing.
template <>
struct doctest::StringMaker<std::error_code> {
  static doctest::String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};

namespace tern::crypto::test {

/// A test vector's bytes. Malformed hex is a mistake in the test; it throws
/// rather than failing a check, because vectors are also decoded during
/// static initialisation, before doctest runs.
inline std::vector<std::byte> hex(std::string_view text) {
  std::error_code ec;
  std::vector<std::byte> out = util::from_hex(text, ec);
  if (ec) throw std::invalid_argument(ec.message() + " in test vector " + std::string(text));
  return out;
}

using util::to_hex;

inline tls_identity self_signed(key_algorithm key = key_algorithm::ec_p256, std::string_view name = "tern.test") {
  std::error_code ec;
  tls_identity id = generate_self_signed(key, name, ec);
  REQUIRE_FALSE(ec);
  REQUIRE_FALSE(id.empty());
  return id;
}

/// A root CA, an intermediate CA and a leaf issued by the intermediate for
/// `names`; the leaf's chain() holds the intermediate.
struct test_pki {
  tls_identity root;
  tls_identity intermediate;

  static test_pki make(std::string_view root_name = "tern test root") {
    test_pki pki;
    std::error_code ec;
    certificate_request root;
    root.common_name = std::string(root_name);
    root.is_ca = true;
    pki.root = generate_certificate(root, ec);
    REQUIRE_FALSE(ec);
    certificate_request intermediate;
    intermediate.common_name = std::string(root_name) + " intermediate";
    intermediate.is_ca = true;
    intermediate.issuer = &pki.root;
    pki.intermediate = generate_certificate(intermediate, ec);
    REQUIRE_FALSE(ec);
    return pki;
  }

  tls_identity issue(std::vector<std::string> names, key_algorithm key = key_algorithm::ec_p256) const {
    certificate_request leaf;
    leaf.key = key;
    leaf.common_name = names.empty() ? "leaf" : names.front();
    leaf.subject_alt_names = std::move(names);
    leaf.issuer = &intermediate;
    std::error_code ec;
    tls_identity id = generate_certificate(leaf, ec);
    REQUIRE_FALSE(ec);
    return id;
  }

  std::string root_pem() const { return root.certificate_chain_pem(); }
};

inline std::unique_ptr<tls_session> make_session(tls_role role, const tls_config& config) {
  std::error_code ec;
  auto context = tls_context::create(role, config, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  auto session = tls_session::create(context, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(session);
  return session;
}

/// Moves everything `from` has to send into `to`. Returns the bytes moved.
inline std::size_t transfer(tls_session& from, tls_session& to) {
  std::vector<std::byte> bytes(from.pending_output());
  bytes.resize(from.take_output(bytes));
  if (!bytes.empty()) (void)to.provide_input(bytes);
  return bytes.size();
}

/// Takes everything `from` has to send.
inline std::vector<std::byte> take_all(tls_session& from) {
  std::vector<std::byte> bytes(from.pending_output());
  bytes.resize(from.take_output(bytes));
  return bytes;
}

/// Runs a handshake to quiescence: starts the client, then moves bytes both
/// ways until neither side has anything to send.
inline void run_handshake(tls_session& client, tls_session& server) {
  (void)client.start();
  (void)server.start();
  for (int round = 0; round < 16; ++round) {
    const std::size_t moved = transfer(client, server) + transfer(server, client);
    if (moved == 0) return;
  }
  FAIL("handshake did not quiesce");
}

/// A client and server config pair authenticated by pinned fingerprints.
struct pinned_pair {
  tls_config client;
  tls_config server;

  static pinned_pair make(key_algorithm key = key_algorithm::ec_p256) {
    pinned_pair p;
    p.server.identity = self_signed(key, "server.tern.test");
    p.server.alpn = {"tern/1"};
    p.client.peer.pinned_fingerprints = {p.server.identity.fingerprint()};
    p.client.server_name = "server.tern.test";
    p.client.alpn = {"tern/1"};
    return p;
  }
};

} // namespace tern::crypto::test
