// Session-ticket keys: a current and a previous key, rotated by the owner
// (docs/crypto.md, "Resumption").

#include "crypto/ticket_keys.hpp"

#include "crypto/crypto_error.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

namespace tern::crypto {

std::optional<ticket_key> ticket_key::generate(std::error_code& ec) {
  ticket_key k;
  if (RAND_bytes(k.name.data(), static_cast<int>(k.name.size())) != 1 ||
      RAND_priv_bytes(k.cipher_key.data(), static_cast<int>(k.cipher_key.size())) != 1 ||
      RAND_priv_bytes(k.mac_key.data(), static_cast<int>(k.mac_key.size())) != 1) {
    ec = crypto_errc::internal_error;
    return std::nullopt;
  }
  ec.clear();
  return k;
}

std::optional<ticket_key> ticket_key::from_bytes(std::span<const std::byte> bytes, std::error_code& ec) {
  ticket_key k;
  if (bytes.size() != k.name.size() + k.cipher_key.size() + k.mac_key.size()) {
    ec = crypto_errc::invalid_argument;
    return std::nullopt;
  }
  std::memcpy(k.name.data(), bytes.data(), k.name.size());
  std::memcpy(k.cipher_key.data(), bytes.data() + k.name.size(), k.cipher_key.size());
  std::memcpy(k.mac_key.data(), bytes.data() + k.name.size() + k.cipher_key.size(), k.mac_key.size());
  ec.clear();
  return k;
}

ticket_key_ring::~ticket_key_ring() {
  OPENSSL_cleanse(&current_, sizeof current_);
  if (previous_) OPENSSL_cleanse(&*previous_, sizeof *previous_);
}

std::shared_ptr<ticket_key_ring> ticket_key_ring::generate(std::error_code& ec) {
  auto key = ticket_key::generate(ec);
  if (!key) return nullptr;
  auto ring = std::make_shared<ticket_key_ring>(*key);
  OPENSSL_cleanse(&*key, sizeof *key);
  return ring;
}

void ticket_key_ring::rotate(const ticket_key& next) {
  std::lock_guard lock(mutex_);
  if (previous_) OPENSSL_cleanse(&*previous_, sizeof *previous_);
  previous_ = current_;
  current_ = next;
}

std::error_code ticket_key_ring::rotate() {
  std::error_code ec;
  auto key = ticket_key::generate(ec);
  if (!key) return ec;
  rotate(*key);
  OPENSSL_cleanse(&*key, sizeof *key);
  return {};
}

ticket_key ticket_key_ring::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::optional<std::pair<ticket_key, bool>> ticket_key_ring::find(std::span<const std::uint8_t> name) const {
  std::lock_guard lock(mutex_);
  auto matches = [&](const ticket_key& k) {
    return name.size() == k.name.size() && CRYPTO_memcmp(name.data(), k.name.data(), k.name.size()) == 0;
  };
  if (matches(current_)) return std::pair{current_, true};
  if (previous_ && matches(*previous_)) return std::pair{*previous_, false};
  return std::nullopt;
}

} // namespace tern::crypto
