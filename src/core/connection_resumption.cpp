// Session tickets at the connection (docs/crypto.md, "Resumption"): a
// client whose TLS context keeps tickets holds its TLS session past
// confirmation until the server's NewSessionTicket arrived in CRYPTO frames,
// then frees it like any other (connection.cpp, release_handshake_state).

#include "core/connection.hpp"

namespace tern::core {

bool connection::awaiting_ticket() const noexcept {
  const auto& tls = handshake_.tls;
  return tls && is_client() && tls->context_config().resumption && tls->tickets_received() == 0 &&
         tls->state() == crypto::handshake_state::complete;
}

const std::vector<std::byte>& connection::session_ticket() const noexcept {
  return handshake_.tls && handshake_.tls->tickets_received() > 0 ? handshake_.tls->ticket() : handshake_.ticket;
}

} // namespace tern::core
