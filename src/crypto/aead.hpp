#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

namespace tern::crypto {

/// The AEADs tern protects packets with. The 1-RTT AEAD is the one of the
/// negotiated TLS 1.3 cipher suite (TLS_AES_128_GCM_SHA256 or
/// TLS_CHACHA20_POLY1305_SHA256); handshake packets always use AES-128-GCM.
enum class aead_algorithm : std::uint8_t {
  aes_128_gcm,
  chacha20_poly1305,
  /// NO confidentiality and NO integrity against an attacker: the payload is
  /// left in the clear and the "tag" is a non-cryptographic checksum that
  /// catches accidental corruption only. For tests and simulations that want
  /// readable packets; never negotiated by the TLS handshake.
  null_for_tests_only,
};

inline constexpr std::size_t aead_tag_length = 16;
inline constexpr std::size_t aead_iv_length = 12;
inline constexpr std::size_t max_aead_key_length = 32;

/// Key length in bytes: 16 for AES-128-GCM (and the null cipher), 32 for
/// ChaCha20-Poly1305. The header-protection key has the same length.
constexpr std::size_t aead_key_length(aead_algorithm a) noexcept {
  return a == aead_algorithm::chacha20_poly1305 ? 32 : 16;
}

std::string_view to_string(aead_algorithm a) noexcept;

namespace detail {
struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept;
};
using cipher_ctx_handle = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;
} // namespace detail

/// Packet payload protection for one direction and one key generation:
/// an AEAD key and IV (RFC 9001 §5.3). The nonce of a packet is the IV XOR
/// its full 64-bit packet number, big-endian and left-padded to 12 bytes; the
/// associated data is the packet header as sent (before header protection).
///
/// Sealing and opening work in place and allocate nothing per packet: the
/// OpenSSL cipher contexts are created on first use and re-keyed, never
/// re-created, by set_key(). The key and IV are wiped on clear() and on
/// destruction. Not thread-safe; one object per direction per connection.
class packet_protector {
public:
  packet_protector() noexcept;
  ~packet_protector();
  packet_protector(packet_protector&&) noexcept;
  packet_protector& operator=(packet_protector&&) noexcept;
  packet_protector(const packet_protector&) = delete;
  packet_protector& operator=(const packet_protector&) = delete;

  /// Installs a key (aead_key_length(a) bytes) and IV (12 bytes), replacing
  /// any previous one. Errors: invalid_argument on wrong lengths;
  /// internal_error if OpenSSL fails (the protector is then left without key).
  std::error_code set_key(aead_algorithm a, std::span<const std::byte> key, std::span<const std::byte> iv) noexcept;

  /// Forgets the key (wiped). seal/open then fail with key_unavailable.
  void clear() noexcept;

  bool has_key() const noexcept { return keyed_; }
  aead_algorithm algorithm() const noexcept { return algorithm_; }

  /// Encrypts in place. `payload_and_tag` holds the plaintext followed by
  /// aead_tag_length bytes of room; on success it holds the ciphertext
  /// followed by the tag. `header` is the associated data and must not
  /// overlap it. Errors: invalid_argument if `payload_and_tag` is shorter than
  /// the tag; key_unavailable; internal_error.
  std::error_code seal(std::uint64_t packet_number, std::span<const std::byte> header,
                       std::span<std::byte> payload_and_tag) noexcept;

  /// Decrypts and authenticates in place. `ciphertext_and_tag` is the
  /// protected payload; on success its first size() - aead_tag_length bytes
  /// hold the plaintext. On failure the contents are unspecified and the
  /// packet must be dropped. Errors: authentication_failed (tag mismatch:
  /// wrong key, wrong packet number, modified header/payload/tag);
  /// invalid_argument if shorter than the tag; key_unavailable; internal_error.
  std::error_code open(std::uint64_t packet_number, std::span<const std::byte> header,
                       std::span<std::byte> ciphertext_and_tag) noexcept;

private:
  std::error_code key_context(detail::cipher_ctx_handle& ctx, bool& keyed, bool encrypt) noexcept;
  void make_nonce(std::uint64_t packet_number, std::array<unsigned char, aead_iv_length>& nonce) const noexcept;

  aead_algorithm algorithm_ = aead_algorithm::aes_128_gcm;
  bool keyed_ = false;
  std::array<std::byte, max_aead_key_length> key_{};
  std::array<std::byte, aead_iv_length> iv_{};
  detail::cipher_ctx_handle seal_ctx_;
  detail::cipher_ctx_handle open_ctx_;
  bool seal_keyed_ = false;
  bool open_keyed_ = false;
};

} // namespace tern::crypto
