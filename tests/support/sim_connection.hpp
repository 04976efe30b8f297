#pragma once
// Fixtures shared by the simulator tests that run full connections.

#include "core/connection.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "sim/netem_spec.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <system_error>

namespace tern::test {

/// One self-signed P-256 identity per test binary: key generation is the
/// slow part of a simulated handshake, and the tests only need a server key.
inline const crypto::tls_identity& sim_server_identity() {
  static const crypto::tls_identity id = [] {
    std::error_code ec;
    auto i = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "sim.tern.test", ec);
    REQUIRE_FALSE(ec);
    return i;
  }();
  return id;
}

/// Client and server configurations for one simulated connection: the
/// server presents sim_server_identity(), the client pins its key, and
/// connection IDs are deterministic so runs repeat for a seed.
struct sim_configs {
  core::connection_config client;
  core::connection_config server;
};

inline sim_configs pinned_sim_configs() {
  sim_configs c;
  c.server.tls.identity = sim_server_identity();
  c.client.tls.peer.pinned_fingerprints = {sim_server_identity().fingerprint()};
  return c;
}

/// The TLS context `config` asks for in `role`; a failure fails the test.
inline std::shared_ptr<const crypto::tls_context> sim_tls(crypto::tls_role role, const core::connection_config& config) {
  std::error_code ec;
  auto context = crypto::tls_context::create(role, config.tls, ec);
  REQUIRE_FALSE(ec);
  return context;
}

/// A netem spec the test wrote; a typo fails the test with the text.
inline sim::netem_spec netem(const std::string& text) {
  auto s = sim::parse_netem_spec(text);
  REQUIRE_MESSAGE(static_cast<bool>(s), text);
  return *s;
}

} // namespace tern::test
