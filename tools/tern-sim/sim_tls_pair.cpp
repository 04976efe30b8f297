#include "sim_tls_pair.hpp"

#include "crypto/certificate.hpp"

#include <system_error>

namespace tern::sim_cli {

std::string make_sim_tls_pair(const core::connection_config& base, sim_tls_pair& out) {
  std::error_code ec;
  const crypto::tls_identity identity =
      crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "sim.tern.test", ec);
  if (ec) return "certificate: " + ec.message();
  out.client = base;
  out.client.tls.peer.pinned_fingerprints = {identity.fingerprint()};
  out.server = base;
  out.server.tls = {};
  out.server.tls.identity = identity;
  out.client_tls = crypto::tls_context::create(crypto::tls_role::client, out.client.tls, ec);
  if (ec) return "client TLS: " + ec.message();
  out.server_tls = crypto::tls_context::create(crypto::tls_role::server, out.server.tls, ec);
  if (ec) return "server TLS: " + ec.message();
  return {};
}

} // namespace tern::sim_cli
