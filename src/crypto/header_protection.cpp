// Header protection (RFC 9001 §5.4), adapted to tern's fixed 2-byte packet
// number: the sample starts right after the packet number (QUIC, with its
// variable 1-4 byte numbers, assumes 4 bytes and skips ahead), and removal
// needs no two-step "unmask the first byte to learn the length" dance.

#include "crypto/header_protection.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <openssl/crypto.h>

#include <cstring>

namespace tern::crypto {

header_protector::header_protector() noexcept = default;
header_protector::~header_protector() { clear(); }

header_protector::header_protector(header_protector&& other) noexcept
    : algorithm_(other.algorithm_), keyed_(other.keyed_), key_(other.key_), ctx_(std::move(other.ctx_)) {
  other.clear();
}

header_protector& header_protector::operator=(header_protector&& other) noexcept {
  if (this != &other) {
    clear();
    algorithm_ = other.algorithm_;
    keyed_ = other.keyed_;
    key_ = other.key_;
    ctx_ = std::move(other.ctx_);
    other.clear();
  }
  return *this;
}

void header_protector::clear() noexcept {
  OPENSSL_cleanse(key_.data(), key_.size());
  keyed_ = false;
}

std::error_code header_protector::set_key(aead_algorithm a, std::span<const std::byte> hp_key) noexcept {
  if (hp_key.size() != aead_key_length(a)) return crypto_errc::invalid_argument;
  clear();
  algorithm_ = a;
  std::memcpy(key_.data(), hp_key.data(), hp_key.size());
  if (a == aead_algorithm::null_for_tests_only) {
    keyed_ = true;
    return {};
  }
  detail::error_queue_guard guard;
  const bool chacha = a == aead_algorithm::chacha20_poly1305;
  const EVP_CIPHER* cipher = detail::fetched_cipher(chacha ? detail::cipher_id::chacha20 : detail::cipher_id::aes_128_ecb);
  if (cipher == nullptr) return crypto_errc::internal_error;
  if (!ctx_) {
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_) return crypto_errc::internal_error;
  }
  if (EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, detail::uc(key_.data()), nullptr) != 1) return crypto_errc::internal_error;
  if (!chacha && EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) != 1) return crypto_errc::internal_error;
  keyed_ = true;
  return {};
}

std::error_code header_protector::mask(std::span<const std::byte> sample, std::span<std::byte, 5> out) noexcept {
  if (!keyed_) return crypto_errc::key_unavailable;
  if (sample.size() != header_protection_sample_length) return crypto_errc::invalid_argument;
  if (algorithm_ == aead_algorithm::null_for_tests_only) {
    std::memset(out.data(), 0, out.size());
    return {};
  }
  EVP_CIPHER_CTX* ctx = ctx_.get();
  int n = 0;
  if (algorithm_ == aead_algorithm::chacha20_poly1305) {
    // OpenSSL's ChaCha20 "IV" is exactly the 4-byte little-endian block
    // counter followed by the 12-byte nonce: the sample as is.
    static const unsigned char zeros[5] = {};
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, detail::uc(sample.data())) != 1 ||
        EVP_EncryptUpdate(ctx, detail::uc(out.data()), &n, zeros, 5) != 1)
      return detail::openssl_failure();
    return {};
  }
  unsigned char block[32]; // ECB may hold back nothing, but leave room for a block
  if (EVP_EncryptUpdate(ctx, block, &n, detail::uc(sample.data()), static_cast<int>(sample.size())) != 1 || n < 5)
    return detail::openssl_failure();
  std::memcpy(out.data(), block, 5);
  return {};
}

std::error_code header_protector::apply(std::span<std::byte> header, std::size_t pn_offset, unsigned first_byte_bits,
                                        std::span<const std::byte> sample) noexcept {
  if (pn_offset < 1 || pn_offset > header.size() || header.size() - pn_offset < protected_packet_number_length ||
      first_byte_bits < 1 || first_byte_bits > 7)
    return crypto_errc::invalid_argument;
  std::array<std::byte, 5> m{};
  if (auto ec = mask(sample, m)) return ec;
  header[0] ^= m[0] & static_cast<std::byte>((1u << first_byte_bits) - 1);
  header[pn_offset] ^= m[1];
  header[pn_offset + 1] ^= m[2];
  return {};
}

std::span<const std::byte> header_protection_sample(std::span<const std::byte> packet, std::size_t pn_offset) noexcept {
  const std::size_t start = pn_offset + protected_packet_number_length;
  if (start < pn_offset || start > packet.size() || packet.size() - start < header_protection_sample_length) return {};
  return packet.subspan(start, header_protection_sample_length);
}

} // namespace tern::crypto
