#include "crypto/crypto_error.hpp"

#include <string>

namespace tern::crypto {
namespace {

class crypto_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.crypto"; }

  std::string message(int value) const override {
    switch (static_cast<crypto_errc>(value)) {
    case crypto_errc::invalid_argument: return "invalid argument";
    case crypto_errc::invalid_configuration: return "invalid TLS configuration";
    case crypto_errc::certificate_load_failed: return "certificate or key could not be loaded";
    case crypto_errc::key_mismatch: return "private key does not match the certificate";
    case crypto_errc::handshake_failed: return "TLS handshake failed";
    case crypto_errc::certificate_untrusted: return "peer certificate is not signed by a trusted CA";
    case crypto_errc::certificate_invalid: return "peer certificate failed verification";
    case crypto_errc::hostname_mismatch: return "server certificate does not match the host name";
    case crypto_errc::fingerprint_mismatch: return "peer public key does not match the pinned fingerprint";
    case crypto_errc::peer_certificate_required: return "peer did not send a required certificate";
    case crypto_errc::alpn_mismatch: return "no application protocol (ALPN) in common";
    case crypto_errc::alert_received: return "peer aborted the handshake with a TLS alert";
    case crypto_errc::handshake_incomplete: return "TLS handshake not complete";
    case crypto_errc::authentication_failed: return "packet authentication failed";
    case crypto_errc::key_unavailable: return "packet protection key unavailable";
    case crypto_errc::key_update_not_allowed: return "key update not allowed now";
    case crypto_errc::usage_limit_reached: return "AEAD usage limit reached";
    case crypto_errc::token_expired: return "address validation token expired";
    case crypto_errc::token_invalid: return "address validation token invalid";
    case crypto_errc::internal_error: return "internal cryptographic error";
    case crypto_errc::peer_rejected_certificate: return "peer refused this side's certificate (its key is not accepted)";
    case crypto_errc::peer_requires_certificate: return "peer requires a certificate and none was sent";
    case crypto_errc::ticket_invalid: return "session ticket malformed or not resumable";
    case crypto_errc::ticket_mismatch: return "session ticket for another server name, ALPN or server key";
    }
    return "unknown tern.crypto error " + std::to_string(value);
  }
};

} // namespace

const std::error_category& crypto_category() noexcept {
  static const crypto_category_impl instance;
  return instance;
}

std::error_code make_error_code(crypto_errc e) noexcept { return {static_cast<int>(e), crypto_category()}; }

crypto_errc received_alert_error(unsigned alert) noexcept {
  switch (alert) {
  case 116: return crypto_errc::peer_requires_certificate;
  case 42:  // bad_certificate: tern's answer to a key off the pins
  case 43:  // unsupported_certificate
  case 44:  // certificate_revoked
  case 45:  // certificate_expired
  case 46:  // certificate_unknown
  case 48: return crypto_errc::peer_rejected_certificate; // unknown_ca: CA mode
  default: return crypto_errc::alert_received;
  }
}

std::string_view tls_alert_name(unsigned alert) noexcept {
  switch (alert) {
  case 0: return "close_notify";
  case 10: return "unexpected_message";
  case 20: return "bad_record_mac";
  case 22: return "record_overflow";
  case 40: return "handshake_failure";
  case 42: return "bad_certificate";
  case 43: return "unsupported_certificate";
  case 44: return "certificate_revoked";
  case 45: return "certificate_expired";
  case 46: return "certificate_unknown";
  case 47: return "illegal_parameter";
  case 48: return "unknown_ca";
  case 49: return "access_denied";
  case 50: return "decode_error";
  case 51: return "decrypt_error";
  case 70: return "protocol_version";
  case 71: return "insufficient_security";
  case 80: return "internal_error";
  case 86: return "inappropriate_fallback";
  case 90: return "user_canceled";
  case 109: return "missing_extension";
  case 110: return "unsupported_extension";
  case 112: return "unrecognized_name";
  case 113: return "bad_certificate_status_response";
  case 115: return "unknown_psk_identity";
  case 116: return "certificate_required";
  case 120: return "no_application_protocol";
  default: return "unknown";
  }
}

} // namespace tern::crypto
