#pragma once

// Internal glue between tern and OpenSSL: owning handles, byte-pointer
// conversion and error-queue hygiene. Not part of any contract outside
// src/crypto.

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace tern::crypto::detail {

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using evp_pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, openssl_deleter<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, openssl_deleter<SSL_free>>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<EVP_CIPHER_CTX_free>>;
using kdf_ctx_ptr = std::unique_ptr<EVP_KDF_CTX, openssl_deleter<EVP_KDF_CTX_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX_free>>;

inline const unsigned char* uc(const std::byte* p) noexcept { return reinterpret_cast<const unsigned char*>(p); }
inline unsigned char* uc(std::byte* p) noexcept { return reinterpret_cast<unsigned char*>(p); }

/// OpenSSL reads a null pointer as "absent" (an octet-string parameter, AAD);
/// an empty span's data() may be null, so it gets a valid empty buffer.
inline const unsigned char* non_null(std::span<const std::byte> s) noexcept {
  static const unsigned char empty = 0;
  return s.empty() ? &empty : uc(s.data());
}

/// OpenSSL keeps a per-thread error queue; a stale entry left behind by one
/// call would be misread by the next caller. Every entry point that calls
/// OpenSSL holds one of these: the queue is empty on entry and on exit.
class error_queue_guard {
public:
  error_queue_guard() noexcept { ERR_clear_error(); }
  ~error_queue_guard() { ERR_clear_error(); }
  error_queue_guard(const error_queue_guard&) = delete;
  error_queue_guard& operator=(const error_queue_guard&) = delete;
};

/// For the per-packet paths, which skip error_queue_guard: empties the queue
/// after a failed call and returns internal_error.
std::error_code openssl_failure() noexcept;

/// Takes a reference to `x` (X509_up_ref) and returns an owning handle.
inline x509_ptr share(X509* x) noexcept {
  if (x == nullptr || X509_up_ref(x) != 1) return nullptr;
  return x509_ptr{x};
}
inline evp_pkey_ptr share(EVP_PKEY* k) noexcept {
  if (k == nullptr || EVP_PKEY_up_ref(k) != 1) return nullptr;
  return evp_pkey_ptr{k};
}

/// The ciphers tern uses, fetched from the default provider once per
/// process (an implicit fetch on every EVP_*Init would take a lock and a
/// provider lookup per packet). Null if the provider lacks the algorithm.
/// aes_256_cbc seals session tickets (once per handshake, in the ticket-key
/// callback).
enum class cipher_id { aes_128_gcm, chacha20_poly1305, aes_128_ecb, chacha20, aes_256_cbc };
const EVP_CIPHER* fetched_cipher(cipher_id id) noexcept;
/// SHA-256, fetched once likewise (SPKI fingerprints of every certificate
/// verified). Null if the provider lacks it.
const EVP_MD* fetched_sha256() noexcept;

/// Reads everything pending in a memory BIO into a string.
std::string drain_bio(BIO* bio);

/// True if `name` is an IPv4 or IPv6 address literal (such names are matched
/// against IP subjectAltNames and are never sent as SNI).
bool is_ip_literal(const std::string& name) noexcept;

} // namespace tern::crypto::detail
