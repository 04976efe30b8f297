#pragma once

#include <string_view>
#include <system_error>

namespace tern::crypto {

/// Every failure the security layer reports. The category is "tern.crypto".
/// Handshake failures say which side detected the problem: the detecting side
/// gets the specific code (fingerprint_mismatch, alpn_mismatch, ...), the
/// other side learns of it through the TLS alert and gets alert_received.
enum class crypto_errc {
  // Configuration and helpers.
  invalid_argument = 1,   ///< malformed input to a helper (bad hex, wrong length, span too small)
  invalid_configuration,  ///< inconsistent tls_config (e.g. a server without a certificate)
  certificate_load_failed, ///< a PEM file or buffer could not be read or parsed
  key_mismatch,           ///< the private key does not belong to the certificate

  // Handshake, detected locally.
  handshake_failed,       ///< TLS protocol error (malformed, unexpected or undecryptable records)
  certificate_untrusted,  ///< the peer's chain does not lead to a trusted CA
  certificate_invalid,    ///< other X.509 verification failure (expired, bad signature, ...)
  hostname_mismatch,      ///< the server certificate does not name the expected host
  fingerprint_mismatch,   ///< the peer's SPKI SHA-256 matches none of the pinned fingerprints
  peer_certificate_required, ///< the client sent no certificate although one is required
  alpn_mismatch,          ///< no application protocol in common
  // Handshake, detected by the peer.
  alert_received,         ///< the peer aborted with a TLS alert (tls_session::alert_received())
  handshake_incomplete,   ///< keys or peer data requested before the handshake completed

  // Packet protection.
  authentication_failed,  ///< AEAD tag mismatch: the packet must be dropped
  key_unavailable,        ///< no key installed, or the keys for that key phase were discarded
  key_update_not_allowed, ///< a key update is already in progress or not yet confirmed
  usage_limit_reached,    ///< the AEAD confidentiality limit is reached: no more packets under this key

  // Address validation tokens.
  token_expired,          ///< authentic token, but older than its lifetime
  token_invalid,          ///< forged, corrupted, for another address, or from an unknown secret

  internal_error,         ///< an OpenSSL primitive failed unexpectedly (e.g. out of memory)

  // Handshake, detected by the peer: what alert_received becomes when the
  // alert says the peer judged this side's certificate (appended, so that
  // the values above keep their numbers).
  peer_rejected_certificate, ///< the peer refused this side's certificate or key (bad_certificate, unknown_ca, ...)
  peer_requires_certificate, ///< the peer requires a certificate and this side sent none (certificate_required)

  // Resumption (appended likewise).
  ticket_invalid,         ///< a stored session ticket is malformed or not resumable
  ticket_mismatch,        ///< a ticket for another server name, ALPN or server key: not offered
};

/// The "tern.crypto" category.
const std::error_category& crypto_category() noexcept;

std::error_code make_error_code(crypto_errc e) noexcept;

/// Name of a TLS alert description (RFC 8446 §6), e.g. "bad_certificate";
/// "unknown" for values TLS does not define.
std::string_view tls_alert_name(unsigned alert) noexcept;

/// The error of a handshake the peer aborted with TLS alert `alert`:
/// peer_requires_certificate (certificate_required), peer_rejected_certificate
/// (bad_certificate, unsupported_certificate, certificate_revoked,
/// certificate_expired, certificate_unknown, unknown_ca), else
/// alert_received.
crypto_errc received_alert_error(unsigned alert) noexcept;

} // namespace tern::crypto

template <>
struct std::is_error_code_enum<tern::crypto::crypto_errc> : std::true_type {};
