#pragma once

// Address validation with Retry (docs/protocol.md §4.5, §9.4): the
// integrity tag both sides compute, and the server's stateless validator
// that answers an Initial without a valid token with a Retry.
//
//   client Initial (DCID = D, no token)  ->  server: write_retry(), no state
//   client <- Retry (SCID = R, token T, tag over D)
//   client Initial (DCID = R, token T)   ->  server: validate() gives D back
//
// The token binds the client's address, D and R under the server's HMAC
// secret, and handshake keys stay derived from D on both sides: a server
// connection can only decrypt the client if the server itself issued the
// Retry this client followed. That is tern's equivalent of QUIC's
// original/retry connection ID transport parameters (RFC 9000 §7.3): an
// injected Retry makes the handshake fail instead of silently redirecting it.

#include "core/address.hpp"
#include "crypto/address_token.hpp"
#include "wire/connection_id.hpp"
#include "wire/header.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <system_error>

namespace tern::core {

/// Longest token a tern server puts in a Retry: the HMAC cookie followed by
/// the original DCID (length byte and up to 20 bytes).
inline constexpr std::size_t retry_token_max_length = crypto::address_token_length + 1 + wire::max_connection_id_length;

/// The Retry Integrity Tag: the first 16 bytes of
/// HMAC-SHA256("tern retry integrity", ODCID length || ODCID || Retry packet
/// up to the tag). It proves only that the sender saw the client's Initial.
/// Errors: internal_error (OpenSSL).
std::error_code retry_integrity_tag(const wire::connection_id& original_dcid, std::span<const std::byte> retry_without_tag,
                                    std::span<std::byte, wire::retry_integrity_tag_length> out) noexcept;

/// Whether `retry_packet` (a whole Retry, tag included) carries the right tag
/// for a client whose first Initial had `original_dcid`. Constant time.
bool retry_integrity_valid(const wire::connection_id& original_dcid, std::span<const std::byte> retry_packet) noexcept;

/// Server side: issues and checks Retry tokens. Keeps no per-client state.
/// Not thread-safe.
class retry_validator {
public:
  /// Tokens are accepted for `lifetime` after their Retry was sent.
  explicit retry_validator(duration lifetime) : authority_(lifetime) {}

  /// Writes into `out` the Retry answering `initial` (a decoded Initial
  /// header without a valid token) from `from`: a fresh Source Connection ID
  /// of `cid_length` bytes from `rng`, a token, the tag. Returns the bytes
  /// written. Errors: no_space (`out` too small), the token authority's.
  std::size_t write_retry(const wire::packet_header& initial, const address& from, std::size_t cid_length,
                          random_source& rng, time_point now, std::span<std::byte> out, std::error_code& ec) const;

  /// Checks the token of `initial` from `from`. On success returns the
  /// client's original DCID (the handshake keys' input). Errors:
  /// token_invalid (absent, malformed, forged, other address or other
  /// connection IDs), token_expired.
  std::error_code validate(const wire::packet_header& initial, const address& from, time_point now,
                           wire::connection_id& original_dcid) const noexcept;

  /// The HMAC secrets (rotate them at least once per lifetime).
  crypto::address_token_authority& authority() noexcept { return authority_; }

private:
  crypto::address_token_authority authority_;
};

} // namespace tern::core
