// Stateless address-validation tokens: an HMAC-SHA256 over the client's
// address and the issue time, under a rotating server secret.
//
// The address is not in the token, only in the MAC: a token replayed from
// another address fails exactly like a forgery (token_invalid), and the
// token reveals nothing about where it was issued. The MAC input starts
// with a fixed label so the secret can never produce a MAC that means
// something elsewhere. Comparison is constant-time (CRYPTO_memcmp), so a
// forger learns nothing from timing about how many MAC bytes were right.
// Tokens are validated before any per-connection state exists, so the cost
// is kept to one HMAC and no allocation beyond OpenSSL's one-shot context.

#include "crypto/address_token.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>
#include <string_view>

namespace tern::crypto {
namespace {

constexpr std::string_view mac_label = "tern address token";
constexpr std::size_t header_length = 1 + 8;

std::int64_t microseconds_of(time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

} // namespace

address_token_authority::address_token_authority(duration lifetime) : lifetime_(lifetime) { (void)rotate(); }

address_token_authority::~address_token_authority() {
  OPENSSL_cleanse(current_.key.data(), current_.key.size());
  OPENSSL_cleanse(previous_.key.data(), previous_.key.size());
}

void address_token_authority::install(std::span<const std::byte> secret) noexcept {
  previous_ = current_;
  current_.valid = true;
  current_.id = next_id_++;
  std::memcpy(current_.key.data(), secret.data(), current_.key.size());
}

std::error_code address_token_authority::rotate() noexcept {
  detail::error_queue_guard guard;
  std::array<std::byte, address_token_secret_length> secret{};
  if (RAND_bytes(detail::uc(secret.data()), static_cast<int>(secret.size())) != 1) return crypto_errc::internal_error;
  install(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return {};
}

std::error_code address_token_authority::rotate(std::span<const std::byte> secret) noexcept {
  if (secret.size() != address_token_secret_length) return crypto_errc::invalid_argument;
  install(secret);
  return {};
}

std::error_code address_token_authority::mac(const secret_slot& secret, std::span<const std::byte> id_and_time,
                                             std::span<const std::byte> address,
                                             std::span<std::byte, 32> out) const noexcept {
  detail::error_queue_guard guard;
  // Fetched once for the process, like the provider behind it.
  static EVP_MAC* const algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (algorithm == nullptr) return crypto_errc::internal_error;
  detail::mac_ctx_ptr mctx{EVP_MAC_CTX_new(algorithm)};
  if (!mctx) return crypto_errc::internal_error;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  std::size_t length = 0;
  static const unsigned char empty = 0;
  if (EVP_MAC_init(mctx.get(), detail::uc(secret.key.data()), secret.key.size(), params) != 1 ||
      EVP_MAC_update(mctx.get(), reinterpret_cast<const unsigned char*>(mac_label.data()), mac_label.size()) != 1 ||
      EVP_MAC_update(mctx.get(), detail::uc(id_and_time.data()), id_and_time.size()) != 1 ||
      EVP_MAC_update(mctx.get(), address.empty() ? &empty : detail::uc(address.data()), address.size()) != 1 ||
      EVP_MAC_final(mctx.get(), detail::uc(out.data()), &length, out.size()) != 1 || length != out.size())
    return crypto_errc::internal_error;
  return {};
}

std::error_code address_token_authority::issue(std::span<const std::byte> address, time_point now,
                                               std::span<std::byte> out) const noexcept {
  if (out.size() < address_token_length) return crypto_errc::invalid_argument;
  if (!current_.valid) return crypto_errc::key_unavailable;
  out[0] = static_cast<std::byte>(current_.id);
  const auto t = static_cast<std::uint64_t>(microseconds_of(now));
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<std::byte>((t >> (56 - 8 * i)) & 0xff);
  return mac(current_, out.first(header_length), address, out.subspan(header_length).first<32>());
}

std::error_code address_token_authority::validate(std::span<const std::byte> token, std::span<const std::byte> address,
                                                  time_point now) const noexcept {
  return validate(token, address, now, lifetime_);
}

std::error_code address_token_authority::validate(std::span<const std::byte> token, std::span<const std::byte> address,
                                                  time_point now, duration lifetime) const noexcept {
  if (token.size() != address_token_length) return crypto_errc::token_invalid;
  const auto id = static_cast<std::uint8_t>(token[0]);
  const secret_slot* secret = nullptr;
  if (current_.valid && current_.id == id)
    secret = &current_;
  else if (previous_.valid && previous_.id == id)
    secret = &previous_;
  if (secret == nullptr) return crypto_errc::token_invalid;

  std::array<std::byte, 32> expected{};
  if (auto ec = mac(*secret, token.first(header_length), address, expected)) return ec;
  if (CRYPTO_memcmp(expected.data(), token.data() + header_length, expected.size()) != 0)
    return crypto_errc::token_invalid;

  // Compared as integer microseconds: no conversion of token bytes back
  // into a time_point can overflow.
  std::uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<std::uint64_t>(token[1 + i]);
  const auto issued = static_cast<std::int64_t>(t);
  const std::int64_t current = microseconds_of(now);
  if (issued > current) return crypto_errc::token_invalid;
  const std::uint64_t age = static_cast<std::uint64_t>(current) - static_cast<std::uint64_t>(issued);
  const auto max_age = std::chrono::duration_cast<std::chrono::microseconds>(lifetime).count();
  if (max_age < 0 || age > static_cast<std::uint64_t>(max_age)) return crypto_errc::token_expired;
  return {};
}

} // namespace tern::crypto
