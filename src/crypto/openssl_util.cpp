#include "crypto/openssl_util.hpp"

#include "crypto/crypto_error.hpp"

namespace tern::crypto::detail {

const EVP_CIPHER* fetched_cipher(cipher_id id) noexcept {
  // Kept for the life of the process, like the provider that backs them.
  static EVP_CIPHER* const aes_gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const chacha_poly = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* const aes_ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  switch (id) {
  case cipher_id::aes_128_gcm: return aes_gcm;
  case cipher_id::chacha20_poly1305: return chacha_poly;
  case cipher_id::aes_128_ecb: return aes_ecb;
  case cipher_id::chacha20: return chacha;
  }
  return nullptr;
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

std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::byte b : bytes) {
    out.push_back(digits[static_cast<unsigned>(b) >> 4]);
    out.push_back(digits[static_cast<unsigned>(b) & 0xf]);
  }
  return out;
}

} // namespace tern::crypto::detail
