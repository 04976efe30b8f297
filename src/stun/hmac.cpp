#include "stun/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

namespace tern::stun {

namespace {

// Fetching the HMAC implementation is the costly part of EVP_MAC; do it once
// per process (thread-safe static initialisation) and keep it for good.
EVP_MAC* hmac_impl() noexcept {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct ctx_deleter {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

} // namespace

bool hmac(hmac_algorithm algorithm, std::span<const std::byte> key,
          std::initializer_list<std::span<const std::byte>> parts, std::span<std::byte> out) noexcept {
  const std::size_t size = hmac_size(algorithm);
  if (out.size() < size || hmac_impl() == nullptr) return false;
  std::unique_ptr<EVP_MAC_CTX, ctx_deleter> ctx{EVP_MAC_CTX_new(hmac_impl())};
  if (!ctx) return false;
  char digest[8] = "SHA1";
  if (algorithm == hmac_algorithm::sha256) std::copy_n("SHA256", 7, digest);
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  // A null key means "keep the previous key" to EVP_MAC_init, so an empty
  // password still needs a non-null pointer.
  static const unsigned char empty = 0;
  const auto* key_bytes = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1) return false;
  for (const auto part : parts)
    if (!part.empty() &&
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1)
      return false;
  std::size_t written = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written, out.size()) != 1)
    return false;
  return written == size;
}

} // namespace tern::stun
