// MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 verification (RFC 8489
// §14.5, §14.6). The HMAC input is the message up to the integrity
// attribute, but with the header's length field rewritten to end just after
// that attribute, as if nothing followed it. A patched copy of the 20-byte
// header plus the untouched body are fed to the HMAC as two pieces, so the
// datagram is never copied or modified.
#include "stun/integrity.hpp"

#include "stun/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

namespace tern::stun {

namespace {

std::error_code verify_at(const message& m, std::size_t offset, hmac_algorithm algorithm,
                          std::span<const std::byte> key) noexcept {
  if (offset == 0 || m.bytes.size() < offset + 4) return stun_errc::integrity_missing;
  const std::byte* attr_header = m.bytes.data() + offset;
  const std::size_t length =
      (std::to_integer<std::size_t>(attr_header[2]) << 8) | std::to_integer<std::size_t>(attr_header[3]);
  if (m.bytes.size() < offset + 4 + length || length > hmac_size(algorithm))
    return stun_errc::integrity_missing;

  std::array<std::byte, header_size> header{};
  std::memcpy(header.data(), m.bytes.data(), header_size);
  const std::size_t covered = offset + 4 + length - header_size; // integrity values are 4-aligned
  header[2] = static_cast<std::byte>(covered >> 8);
  header[3] = static_cast<std::byte>(covered & 0xff);

  std::array<std::byte, 32> computed{};
  if (!hmac(algorithm, key, {header, m.bytes.subspan(header_size, offset - header_size)}, computed))
    return stun_errc::crypto_failure;
  if (CRYPTO_memcmp(computed.data(), attr_header + 4, length) != 0) return stun_errc::integrity_mismatch;
  return {};
}

} // namespace

std::error_code verify_message_integrity(const message& m, std::span<const std::byte> key) noexcept {
  return verify_at(m, m.integrity_offset, hmac_algorithm::sha1, key);
}

std::error_code verify_message_integrity_sha256(const message& m, std::span<const std::byte> key) noexcept {
  return verify_at(m, m.integrity_sha256_offset, hmac_algorithm::sha256, key);
}

std::error_code verify_integrity(const message& m, std::span<const std::byte> key) noexcept {
  if (m.integrity_sha256_offset != 0) return verify_message_integrity_sha256(m, key);
  return verify_message_integrity(m, key);
}

bool random_transaction_id(transaction_id& out) noexcept {
  return RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) == 1;
}

} // namespace tern::stun
