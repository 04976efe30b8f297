#include "api/tls.hpp"

#include <tern/error.hpp>

#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace tern::detail {
namespace {

std::vector<crypto::aead_algorithm> suites(const config& cfg) {
  std::vector<crypto::aead_algorithm> out;
  for (auto c : cfg.ciphers)
    out.push_back(c == cipher::aes_128_gcm ? crypto::aead_algorithm::aes_128_gcm
                                           : crypto::aead_algorithm::chacha20_poly1305);
  return out;
}

} // namespace

crypto::tls_identity load_identity(const config& cfg, std::error_code& ec) {
  if (!cfg.certificate_chain_pem.empty() || !cfg.private_key_pem.empty())
    return crypto::tls_identity::from_pem(cfg.certificate_chain_pem, cfg.private_key_pem, ec);
  if (!cfg.certificate_chain_file.empty() || !cfg.private_key_file.empty())
    return crypto::tls_identity::from_pem_files(cfg.certificate_chain_file, cfg.private_key_file, ec);
  // A client generates one too (config::generate_certificate): it is sent
  // only to a server that asks, and otherwise costs one key generation.
  if (cfg.generate_certificate) return crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "tern", ec);
  return {};
}

std::shared_ptr<const crypto::tls_context> make_server_tls(const config& cfg, const crypto::tls_identity& identity,
                                                           std::error_code& ec) {
  if (identity.empty()) {
    ec = make_error_code(errc::invalid_argument);
    return nullptr;
  }
  crypto::tls_config tls;
  tls.identity = identity;
  tls.alpn = cfg.alpn;
  tls.cipher_suites = suites(cfg);
  if (cfg.session_tickets) {
    // The ring rotates itself (docs/crypto.md, "Ticket keys").
    const auto rotation =
        cfg.session_ticket_key_rotation.count() > 0 ? cfg.session_ticket_key_rotation : cfg.session_ticket_lifetime;
    tls.tickets.keys = crypto::ticket_key_ring::rotating(rotation, cfg.session_ticket_key,
                                                         static_cast<std::int64_t>(std::time(nullptr)), ec);
    if (!tls.tickets.keys) return nullptr;
    tls.tickets.lifetime = cfg.session_ticket_lifetime;
    tls.tickets.accept_early_data = cfg.accept_early_data;
    tls.tickets.replay = std::make_shared<crypto::replay_guard>(cfg.early_data_replay_capacity);
  }
  switch (cfg.client_auth) {
  case client_authentication::none: tls.client_auth = crypto::client_authentication::none; break;
  case client_authentication::request: tls.client_auth = crypto::client_authentication::optional; break;
  case client_authentication::require: tls.client_auth = crypto::client_authentication::required; break;
  }
  if (tls.client_auth != crypto::client_authentication::none) {
    // Pins are checked in the handshake, so a refused client never becomes
    // a connection; without pins the application judges the key.
    // With a check function, the application decides per handshake.
    tls.peer.pinned_fingerprints = cfg.pinned_client_fingerprints;
    if (cfg.client_key_check)
      tls.peer.check = [check = cfg.client_key_check](const crypto::spki_digest& key) {
        return check(crypto::format_fingerprint(key));
      };
    tls.peer.accept_any = cfg.pinned_client_fingerprints.empty() && !cfg.client_key_check;
  }
  return crypto::tls_context::create(crypto::tls_role::server, tls, ec);
}

std::shared_ptr<const crypto::tls_context> make_client_tls(const config& cfg, const connect_options& options,
                                                           const crypto::tls_identity& identity,
                                                           std::error_code& ec) {
  crypto::tls_config t;
  t.identity = identity;
  t.peer.accept_any = options.accept_any_server_key;
  if (!t.peer.accept_any)
    t.peer.pinned_fingerprints =
        options.pinned_fingerprints.empty() ? cfg.pinned_fingerprints : options.pinned_fingerprints;
  if (t.peer.pinned_fingerprints.empty() && !t.peer.accept_any) {
    t.peer.ca_file = cfg.ca_file;
    t.peer.ca_pem = cfg.ca_pem;
  }
  t.server_name = options.server_name.empty() ? cfg.server_name : options.server_name;
  t.alpn = options.alpn.empty() ? cfg.alpn : options.alpn;
  t.cipher_suites = suites(cfg);
  t.resumption = cfg.session_tickets;
  return crypto::tls_context::create(crypto::tls_role::client, t, ec);
}

} // namespace tern::detail
