#pragma once

// What a tern client keeps to resume with a server (docs/crypto.md,
// "Resumption"): the TLS session (its resumption secret and the server's
// ticket) and what the client checks before offering it again. Opaque to
// the application, which stores the bytes; they hold a secret, so they must
// be kept like a private key (file mode 0600) and never logged.
//
//   version (8) = 1
//   server_name_length (8), server_name
//   alpn_length (8), alpn
//   has_peer_key (8), peer SPKI SHA-256 (32 bytes, when has_peer_key = 1)
//   has_own_key (8), this client's SPKI SHA-256 (32 bytes, when 1)
//   session_length (16), session (DER of OpenSSL's SSL_SESSION)

#include "crypto/certificate.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tern::crypto {

struct client_ticket {
  static constexpr std::uint8_t version = 1;
  /// Longest encoding accepted: bounds what a corrupted file can make the
  /// client allocate or hand to the DER parser.
  static constexpr std::size_t max_encoded_length = 16 * 1024;

  std::string server_name;
  std::string alpn;
  std::optional<spki_digest> peer_key;
  /// The client certificate's key of the session, if the client had one:
  /// a resumed handshake authenticates the client as that key again, so
  /// the ticket is offered only under the same identity.
  std::optional<spki_digest> own_key;
  std::vector<std::byte> session;

  std::vector<std::byte> encode() const;
  /// Errors: invalid_argument (another version, truncated, trailing bytes,
  /// a field too long).
  static std::optional<client_ticket> decode(std::span<const std::byte> bytes, std::error_code& ec);
};

} // namespace tern::crypto
