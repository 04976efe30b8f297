#pragma once

// Address validation (docs/protocol.md §4.5, §9.4), in one unit: the
// server's stateless Retry and its token, NEW_TOKEN tokens, and the sorting
// of a client's first Initial by the token it carries. core::endpoint is
// its only user in a server; the Retry integrity tag both sides compute is
// in core/retry.hpp.
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
//
// The same unit issues the tokens of NEW_TOKEN frames:
// given to a client once its handshake is confirmed, presented in the
// Initials of a later connection, they prove the address without a Retry.
// Every token starts with its kind, which the MAC covers, so a token of one
// kind never passes as the other.

#include "core/address.hpp"
#include "core/retry.hpp"
#include "crypto/address_token.hpp"
#include "wire/connection_id.hpp"
#include "wire/header.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::core {

/// The first byte of every token a tern server issues.
enum class token_kind : std::uint8_t {
  retry = 0x01,     ///< from a Retry: binds IP, port and both connection IDs
  new_token = 0x02, ///< from a NEW_TOKEN frame: binds the IP only
};

/// Longest token a tern server puts in a Retry: the kind, the HMAC cookie,
/// the original DCID (length byte and up to 20 bytes).
inline constexpr std::size_t retry_token_max_length =
    1 + crypto::address_token_length + 1 + wire::max_connection_id_length;
/// Length of a NEW_TOKEN token: the kind and the HMAC cookie.
inline constexpr std::size_t new_token_length = 1 + crypto::address_token_length;

/// What a server validating addresses does with a client's first Initial,
/// by the token it carries (address_validation::admit).
enum class initial_admission : std::uint8_t {
  /// No token, or a NEW_TOKEN token that does not validate (forged, expired,
  /// another IP, another server's): as if there were none, answer a Retry.
  send_retry,
  /// A valid Retry token: accept with its original DCID, address validated.
  accept_after_retry,
  /// A valid NEW_TOKEN token: accept with the address validated, no Retry.
  accept_validated,
  /// A Retry token that does not validate, or a token of no known kind: the
  /// client already had its one Retry (RFC 9000 §8.1.2), drop the Initial.
  drop,
};

/// Server side: issues and checks Retry and NEW_TOKEN tokens. Keeps no
/// per-client state. Not thread-safe.
class address_validation {
public:
  /// Retry tokens are accepted for `lifetime` after their Retry was sent,
  /// NEW_TOKEN tokens for `new_token_lifetime` after they were issued.
  explicit address_validation(duration lifetime, duration new_token_lifetime = std::chrono::hours(24))
      : authority_(lifetime), new_token_lifetime_(new_token_lifetime) {}

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

  /// Sorts a client's first Initial (from `from`) by its token; sets
  /// `original_dcid` for accept_after_retry.
  initial_admission admit(const wire::packet_header& initial, const address& from, time_point now,
                          wire::connection_id& original_dcid) const noexcept;

  /// Writes into out[0, new_token_length) a NEW_TOKEN token for a client at
  /// `client` (its IP counts, not its port: NAT rebinding changes ports
  /// between connections). Errors: invalid_argument (`out` too small), the
  /// token authority's.
  std::error_code write_new_token(const address& client, time_point now, std::span<std::byte> out) const noexcept;

  /// Checks a NEW_TOKEN token presented from `from`. Errors: token_invalid
  /// (malformed, another kind, forged, another IP or family), token_expired.
  std::error_code validate_new_token(std::span<const std::byte> token, const address& from,
                                     time_point now) const noexcept;

  /// The HMAC secrets of both kinds (rotate them at least once per the
  /// longer lifetime).
  crypto::address_token_authority& authority() noexcept { return authority_; }
  duration new_token_lifetime() const noexcept { return new_token_lifetime_; }

private:
  crypto::address_token_authority authority_;
  duration new_token_lifetime_;
};

} // namespace tern::core
