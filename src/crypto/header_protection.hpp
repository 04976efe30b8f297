#pragma once

#include "crypto/aead.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <system_error>

namespace tern::crypto {

/// Bytes of ciphertext sampled to compute the mask (RFC 9001 §5.4.2).
inline constexpr std::size_t header_protection_sample_length = 16;
/// tern's packet number is always 2 bytes on the wire and is the last field
/// of every header (docs/crypto.md, "Header protection").
inline constexpr std::size_t protected_packet_number_length = 2;
/// How many low bits of the first byte are masked: short headers 5, long 4.
inline constexpr unsigned short_header_protected_bits = 5;
inline constexpr unsigned long_header_protected_bits = 4;

/// Header protection (RFC 9001 §5.4) for one direction: a 5-byte mask from
/// AES-128-ECB(hp_key, sample) or ChaCha20(hp_key, counter = sample[0..4]
/// little-endian, nonce = sample[4..16]) over five zero bytes. Only mask[0]
/// (first byte) and mask[1..2] (the 2-byte packet number) are used.
///
/// The sample is the 16 bytes that immediately follow the packet number,
/// i.e. the start of the AEAD output. Since that output always ends in a
/// 16-byte tag, every protected packet is long enough to sample: no padding
/// rule is needed. Allocation-free per packet; not thread-safe.
class header_protector {
public:
  header_protector() noexcept;
  ~header_protector();
  header_protector(header_protector&&) noexcept;
  header_protector& operator=(header_protector&&) noexcept;
  header_protector(const header_protector&) = delete;
  header_protector& operator=(const header_protector&) = delete;

  /// Installs the header-protection key (aead_key_length(a) bytes). The
  /// null cipher produces an all-zero mask (headers stay readable).
  /// Errors: invalid_argument on a wrong length; internal_error.
  std::error_code set_key(aead_algorithm a, std::span<const std::byte> hp_key) noexcept;
  void clear() noexcept;
  bool has_key() const noexcept { return keyed_; }

  /// Computes the 5-byte mask for `sample` (exactly 16 bytes).
  /// Errors: invalid_argument; key_unavailable; internal_error.
  std::error_code mask(std::span<const std::byte> sample, std::span<std::byte, 5> out) noexcept;

  /// Protects a header in place: XORs the low `first_byte_bits` bits of
  /// header[0] and the two packet-number bytes header[pn_offset],
  /// header[pn_offset + 1] with the mask for `sample`.
  /// Errors: invalid_argument if pn_offset < 1, pn_offset + 2 > header.size(),
  /// first_byte_bits not in 1..7, or sample.size() != 16; key_unavailable;
  /// internal_error.
  std::error_code apply(std::span<std::byte> header, std::size_t pn_offset, unsigned first_byte_bits,
                        std::span<const std::byte> sample) noexcept;

  /// Removes protection; the exact inverse of apply() (with a fixed-length
  /// packet number, both are the same XOR). Same errors.
  std::error_code remove(std::span<std::byte> header, std::size_t pn_offset, unsigned first_byte_bits,
                         std::span<const std::byte> sample) noexcept {
    return apply(header, pn_offset, first_byte_bits, sample);
  }

private:
  aead_algorithm algorithm_ = aead_algorithm::aes_128_gcm;
  bool keyed_ = false;
  std::array<std::byte, max_aead_key_length> key_{};
  detail::cipher_ctx_handle ctx_;
};

/// The sample of a protected packet whose 2-byte packet number starts at
/// `pn_offset`: packet[pn_offset + 2, pn_offset + 18). Empty if the packet is
/// too short (the packet must then be dropped).
std::span<const std::byte> header_protection_sample(std::span<const std::byte> packet, std::size_t pn_offset) noexcept;

} // namespace tern::crypto
