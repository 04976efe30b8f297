#pragma once
// The TLS half of every simulated connection pair tern-sim builds: a fresh
// self-signed server identity the client pins, and both sides' contexts.

#include "core/connection_config.hpp"
#include "crypto/tls_session.hpp"

#include <memory>
#include <string>

namespace tern::sim_cli {

struct sim_tls_pair {
  core::connection_config client;
  core::connection_config server;
  std::shared_ptr<const crypto::tls_context> client_tls;
  std::shared_ptr<const crypto::tls_context> server_tls;
};

/// Both sides' configurations from `base` (the client's settings, which
/// the server shares but for its identity) and their TLS contexts. Returns
/// "" or what failed.
std::string make_sim_tls_pair(const core::connection_config& base, sim_tls_pair& out);

} // namespace tern::sim_cli
