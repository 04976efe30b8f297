#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern::crypto {

/// Key types tern can generate certificates for.
enum class key_algorithm : std::uint8_t { ec_p256, ed25519 };

/// SHA-256 of a certificate's DER-encoded SubjectPublicKeyInfo (the same
/// input as RFC 7469's pin-sha256). Pinning the key rather than the whole
/// certificate lets a peer re-issue its certificate without re-pinning.
using spki_digest = std::array<std::byte, 32>;

/// A certificate chain and its private key: what an endpoint authenticates
/// with. Immutable once built and cheap to copy (the OpenSSL objects are
/// shared, reference-counted); safe to share between threads.
class tls_identity {
public:
  tls_identity() = default;

  /// Loads a PEM certificate chain (leaf first, then intermediates) and a PEM
  /// private key from files. Encrypted keys are not supported.
  /// Errors: certificate_load_failed (unreadable file, no certificate, bad
  /// PEM, encrypted key); key_mismatch.
  static tls_identity from_pem_files(const std::string& chain_path, const std::string& key_path,
                                     std::error_code& ec);

  /// The same from in-memory PEM text.
  static tls_identity from_pem(std::string_view chain_pem, std::string_view key_pem, std::error_code& ec);

  /// Wraps existing OpenSSL objects (each gets an extra reference; the caller
  /// keeps its own). `chain` holds intermediates, not the leaf.
  /// Errors: invalid_argument if `leaf` or `key` is null; key_mismatch.
  static tls_identity from_openssl(X509* leaf, EVP_PKEY* key, std::span<X509* const> chain, std::error_code& ec);

  bool empty() const noexcept { return !leaf_; }
  X509* certificate() const noexcept { return leaf_.get(); }
  EVP_PKEY* private_key() const noexcept { return key_.get(); }
  /// Intermediate certificates sent after the leaf (possibly none).
  const std::vector<std::shared_ptr<X509>>& chain() const noexcept { return chain_; }

  /// PEM of the leaf followed by the chain; empty if empty().
  std::string certificate_chain_pem() const;
  /// PEM (unencrypted PKCS#8) of the private key; empty if empty().
  std::string private_key_pem() const;
  /// format_fingerprint() of the leaf's SPKI; empty if empty().
  std::string fingerprint() const;

private:
  std::shared_ptr<X509> leaf_;
  std::shared_ptr<EVP_PKEY> key_;
  std::vector<std::shared_ptr<X509>> chain_;
};

/// What generate_certificate() makes.
struct certificate_request {
  key_algorithm key = key_algorithm::ec_p256;
  std::string common_name = "tern";
  /// subjectAltName entries; IPv4/IPv6 literals become IP entries, the rest
  /// DNS entries. Host-name verification (CA mode) checks these.
  std::vector<std::string> subject_alt_names;
  /// Validity, starting one hour in the past (clock skew), in days.
  int validity_days = 365;
  /// A CA certificate (basicConstraints CA:TRUE, keyCertSign) rather than an
  /// end-entity one (CA:FALSE, digitalSignature, serverAuth + clientAuth).
  bool is_ca = false;
  /// Signs with this identity's key and names it as issuer; null for a
  /// self-signed certificate. The new identity's chain() is the issuer's
  /// certificate (unless it is a self-signed root) followed by its chain.
  const tls_identity* issuer = nullptr;
};

/// Generates a fresh key pair (from OpenSSL's CSPRNG) and certificate in
/// memory. Validity dates come from the system clock.
/// Errors: invalid_argument (empty or comma-containing names, validity <= 0,
/// an issuer that is empty); internal_error.
tls_identity generate_certificate(const certificate_request& request, std::error_code& ec);

/// Shorthand: a self-signed end-entity certificate for fingerprint pinning,
/// with `common_name` also as its only subjectAltName.
tls_identity generate_self_signed(key_algorithm key, std::string_view common_name, std::error_code& ec);

/// SHA-256 over the DER SubjectPublicKeyInfo of `cert`.
/// Errors: invalid_argument if `cert` is null; internal_error.
std::error_code spki_sha256(const X509* cert, spki_digest& out) noexcept;

/// "AB:CD:...:EF": 32 upper-case hex pairs separated by colons, the layout
/// of SDP's a=fingerprint (but of the SPKI, not the whole certificate).
std::string format_fingerprint(const spki_digest& digest);

/// Parses a fingerprint: 64 hex digits, either case, with or without colons
/// between pairs, optionally preceded by "sha-256 " (any case).
/// Errors: invalid_argument.
std::error_code parse_fingerprint(std::string_view text, spki_digest& out) noexcept;

} // namespace tern::crypto
