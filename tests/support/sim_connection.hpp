#pragma once
// Fixtures shared by the simulator tests that run full connections.

#include "crypto/certificate.hpp"
#include "sim/netem_spec.hpp"

#include <doctest/doctest.h>

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

/// A netem spec the test wrote; a typo fails the test with the text.
inline sim::netem_spec netem(const std::string& text) {
  auto s = sim::parse_netem_spec(text);
  REQUIRE_MESSAGE(static_cast<bool>(s), text);
  return *s;
}

} // namespace tern::test
