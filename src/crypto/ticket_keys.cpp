// Session-ticket keys: a current and a previous key, rotated by the owner
// or, for a rotating ring, whenever Unix time enters a new period
// (docs/crypto.md, "Ticket keys").
//
// Derived period keys: PRK = HKDF-Extract("tern ticket keys", master), and
// period n's 80 bytes (name, AES key, HMAC key) =
// HKDF-Expand-Label(PRK, "tern ticket key", uint64 n big-endian, 80).

#include "crypto/ticket_keys.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/hkdf.hpp"

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
  OPENSSL_cleanse(master_prk_.data(), master_prk_.size());
  if (previous_) OPENSSL_cleanse(&*previous_, sizeof *previous_);
}

std::shared_ptr<ticket_key_ring> ticket_key_ring::generate(std::error_code& ec) {
  auto key = ticket_key::generate(ec);
  if (!key) return nullptr;
  auto ring = std::make_shared<ticket_key_ring>(*key);
  OPENSSL_cleanse(&*key, sizeof *key);
  return ring;
}

namespace {

/// Floor division: periods before the epoch still have one number each.
std::int64_t period_of(std::int64_t now, std::chrono::seconds interval) noexcept {
  const std::int64_t i = interval.count();
  return now >= 0 ? now / i : -((-now + i - 1) / i);
}

} // namespace

std::shared_ptr<ticket_key_ring> ticket_key_ring::rotating(std::chrono::seconds interval,
                                                           std::span<const std::byte> master,
                                                           std::int64_t now, std::error_code& ec) {
  if (interval.count() <= 0 || (!master.empty() && master.size() < 32)) {
    ec = crypto_errc::invalid_argument;
    return nullptr;
  }
  auto ring = std::make_shared<ticket_key_ring>(ticket_key{});
  ring->interval_ = interval;
  ring->period_ = period_of(now, interval);
  if (!master.empty()) {
    static constexpr std::string_view salt = "tern ticket keys";
    if ((ec = hkdf_extract(std::as_bytes(std::span{salt}), master,
                           std::as_writable_bytes(std::span{ring->master_prk_}))))
      return nullptr;
    ring->derived_ = true;
  }
  auto current = ring->key_for(ring->period_, ec);
  if (!current) return nullptr;
  ring->current_ = *current;
  OPENSSL_cleanse(&*current, sizeof *current);
  // A derived ring also holds the previous period's key from the start: it
  // opens the tickets its peers (or its own last run) sealed just before.
  if (ring->derived_) ring->previous_ = ring->key_for(ring->period_ - 1, ec);
  if (ec) return nullptr;
  return ring;
}

std::optional<ticket_key> ticket_key_ring::key_for(std::int64_t n, std::error_code& ec) const {
  if (!derived_) return ticket_key::generate(ec);
  std::array<std::byte, 8> context{};
  for (std::size_t i = 0; i < context.size(); ++i)
    context[i] = static_cast<std::byte>(static_cast<std::uint64_t>(n) >> (56 - 8 * i));
  std::array<std::byte, ticket_key::name_length + 2 * ticket_key::secret_length> bytes{};
  if ((ec = hkdf_expand_label(std::as_bytes(std::span{master_prk_}), "tern ticket key", context, bytes)))
    return std::nullopt;
  auto key = ticket_key::from_bytes(bytes, ec);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

std::error_code ticket_key_ring::advance(std::int64_t now) {
  if (interval_.count() == 0) return {};
  const std::int64_t target = period_of(now, interval_);
  std::lock_guard lock(mutex_);
  if (target <= period_) return {};
  // Two periods or more: both keys retire (a derived ring starts from the
  // period before the target; a random one has nothing older worth keeping).
  const std::int64_t from = std::max(period_, target - 2);
  for (std::int64_t n = from + 1; n <= target; ++n) {
    std::error_code ec;
    auto next = key_for(n, ec);
    if (!next) return ec;
    rotate_locked(*next);
    OPENSSL_cleanse(&*next, sizeof *next);
    period_ = n;
  }
  return {};
}

std::int64_t ticket_key_ring::period() const {
  std::lock_guard lock(mutex_);
  return period_;
}

void ticket_key_ring::rotate_locked(const ticket_key& next) {
  if (previous_) OPENSSL_cleanse(&*previous_, sizeof *previous_);
  previous_ = current_;
  current_ = next;
}

void ticket_key_ring::rotate(const ticket_key& next) {
  std::lock_guard lock(mutex_);
  rotate_locked(next);
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
