// HKDF (RFC 5869) through OpenSSL 3.0's EVP_KDF "HKDF" implementation, and
// the TLS 1.3 HKDF-Expand-Label wrapper (RFC 8446 §7.1) that QUIC uses for
// its packet keys (RFC 9001 §5.1) and tern uses with its own labels.
// None of this runs per packet: keys are derived once per key phase.

#include "crypto/hkdf.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <cstdint>

namespace tern::crypto {
namespace {

EVP_KDF* hkdf_algorithm() noexcept {
  // Fetched once and kept for the life of the process: fetching is a
  // provider lookup under a lock, too slow to repeat for every derivation.
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

std::error_code derive(int mode, std::span<const std::byte> key, std::span<const std::byte> salt,
                       std::span<const std::byte> info, std::span<std::byte> out) noexcept {
  detail::error_queue_guard guard;
  EVP_KDF* kdf = hkdf_algorithm();
  if (kdf == nullptr) return crypto_errc::internal_error;
  detail::kdf_ctx_ptr ctx{EVP_KDF_CTX_new(kdf)};
  if (!ctx) return crypto_errc::internal_error;

  char digest[] = "SHA256";
  std::array<OSSL_PARAM, 6> params{};
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(detail::non_null(key)),
                                                  key.size());
  if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY && !salt.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(detail::non_null(salt)),
                                                    salt.size());
  if (mode == EVP_KDF_HKDF_MODE_EXPAND_ONLY && !info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<unsigned char*>(detail::non_null(info)),
                                                    info.size());
  params[n] = OSSL_PARAM_construct_end();

  if (EVP_KDF_derive(ctx.get(), detail::uc(out.data()), out.size(), params.data()) != 1)
    return crypto_errc::internal_error;
  return {};
}

} // namespace

std::error_code hkdf_extract(std::span<const std::byte> salt, std::span<const std::byte> ikm,
                             std::span<std::byte, hkdf_hash_length> prk) noexcept {
  if (ikm.empty()) return crypto_errc::invalid_argument;
  return derive(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, salt, {}, prk);
}

std::error_code hkdf_expand(std::span<const std::byte> prk, std::span<const std::byte> info,
                            std::span<std::byte> out) noexcept {
  if (prk.size() < hkdf_hash_length || out.empty() || out.size() > 255 * hkdf_hash_length)
    return crypto_errc::invalid_argument;
  return derive(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, {}, info, out);
}

std::error_code hkdf_expand_label(std::span<const std::byte> secret, std::string_view label,
                                  std::span<const std::byte> context, std::span<std::byte> out) noexcept {
  static constexpr std::string_view prefix = "tls13 ";
  if (label.size() > 255 - prefix.size() || context.size() > 255 || out.size() > 0xffff)
    return crypto_errc::invalid_argument;

  // HkdfLabel: 2 + 1 + 255 + 1 + 255 bytes at most.
  std::array<std::byte, 2 + 1 + 255 + 1 + 255> info{};
  std::size_t n = 0;
  info[n++] = static_cast<std::byte>(out.size() >> 8);
  info[n++] = static_cast<std::byte>(out.size() & 0xff);
  info[n++] = static_cast<std::byte>(prefix.size() + label.size());
  for (const char c : prefix) info[n++] = static_cast<std::byte>(c);
  for (const char c : label) info[n++] = static_cast<std::byte>(c);
  info[n++] = static_cast<std::byte>(context.size());
  for (const std::byte b : context) info[n++] = b;
  return hkdf_expand(secret, std::span{info}.first(n), out);
}

} // namespace tern::crypto
