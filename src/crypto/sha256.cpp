#include "crypto/sha256.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <new>

namespace tern::crypto {

std::error_code sha256(std::span<const std::byte> data, sha256_digest& out) noexcept {
  detail::error_queue_guard guard;
  unsigned int length = 0;
  const EVP_MD* md = detail::fetched_sha256();
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), detail::uc(out.data()), &length, md, nullptr) != 1 ||
      length != out.size())
    return crypto_errc::internal_error;
  return {};
}

sha256_hasher::sha256_hasher() : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = detail::fetched_sha256();
  if (ctx_ == nullptr || md == nullptr || EVP_DigestInit_ex2(ctx_, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc{};
  }
}

sha256_hasher::~sha256_hasher() { EVP_MD_CTX_free(ctx_); }

void sha256_hasher::update(std::span<const std::byte> bytes) noexcept {
  // With a context that initialised, SHA-256's update cannot fail.
  EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}

sha256_digest sha256_hasher::digest() const {
  // Finishing consumes a context, so finish a copy and keep this one going.
  detail::md_ctx_ptr copy{EVP_MD_CTX_new()};
  sha256_digest out{};
  unsigned int length = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_) != 1 ||
      EVP_DigestFinal_ex(copy.get(), detail::uc(out.data()), &length) != 1)
    throw std::bad_alloc{};
  return out;
}

void sha256_hasher::reset() noexcept { EVP_DigestInit_ex2(ctx_, detail::fetched_sha256(), nullptr); }

} // namespace tern::crypto
