// NEW_TOKEN (docs/protocol.md §7.7, §9.4): a server hands the client a token
// for its next connection, the client keeps the latest one. The token's
// meaning is the server's business (core/address_validation.hpp); the connection only
// carries it: sent in 1-RTT packets, queued again if the packet is lost.

#include "core/connection.hpp"
#include "crypto/crypto_error.hpp"

namespace tern::core {

std::error_code connection::send_new_token(std::span<const std::byte> token) {
  if (is_client() || token.empty() || token.size() > max_new_token_length)
    return crypto::crypto_errc::invalid_argument;
  if (state_ == connection_state::handshaking) return core_errc::not_established;
  if (state_ != connection_state::established) return core_errc::connection_closed;
  tokens_.outgoing.assign(token.begin(), token.end());
  send_.set(send_flag::new_token);
  return {};
}

std::error_code connection::on_new_token(const wire::new_token_frame& f) {
  // Only servers issue tokens (RFC 9000 §19.7): from a client, a
  // PROTOCOL_VIOLATION (every core_errc closes with that code).
  if (!is_client()) return core_errc::transport_error;
  // Larger than any tern server issues: not worth keeping, not an error.
  if (f.token.size() <= max_new_token_length) tokens_.received.assign(f.token.begin(), f.token.end());
  return {};
}

} // namespace tern::core
