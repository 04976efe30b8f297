#include "crypto/openssl_util.hpp"

#include "crypto/crypto_error.hpp"

#include <arpa/inet.h>

namespace tern::crypto::detail {

const EVP_CIPHER* fetched_cipher(cipher_id id) noexcept {
  // Kept for the life of the process, like the provider that backs them.
  static EVP_CIPHER* const aes_gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const chacha_poly = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* const aes_ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  static EVP_CIPHER* const aes_cbc = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  switch (id) {
  case cipher_id::aes_128_gcm: return aes_gcm;
  case cipher_id::chacha20_poly1305: return chacha_poly;
  case cipher_id::aes_128_ecb: return aes_ecb;
  case cipher_id::chacha20: return chacha;
  case cipher_id::aes_256_cbc: return aes_cbc;
  }
  return nullptr;
}

const EVP_MD* fetched_sha256() noexcept {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return sha256;
}

std::error_code openssl_failure() noexcept {
  ERR_clear_error();
  return crypto_errc::internal_error;
}

std::string drain_bio(BIO* bio) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const int n = BIO_read(bio, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

bool is_ip_literal(const std::string& name) noexcept {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

} // namespace tern::crypto::detail
