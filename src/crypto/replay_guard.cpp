// The 0-RTT strike register (docs/crypto.md, "Anti-replay").

#include "crypto/replay_guard.hpp"

#include "crypto/sha256.hpp"

#include <algorithm>
#include <cstring>

namespace tern::crypto {

std::size_t replay_guard::digest_hash::operator()(const digest& d) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h); // already uniformly distributed
  return h;
}

void replay_guard::forget_expired(std::int64_t now) {
  // Tickets share one lifetime, so insertion order is expiry order up to
  // rotation of the lifetime setting; an entry that expires later than its
  // successors merely lingers until it reaches the front.
  while (!by_expiry_.empty() && by_expiry_.front().expires <= now) {
    seen_.erase(by_expiry_.front().key);
    by_expiry_.pop_front();
  }
}

bool replay_guard::first_use(std::span<const std::uint8_t> secret, std::int64_t now, std::int64_t expires) {
  if (expires <= now || capacity_ == 0) return false;
  sha256_digest full{};
  if (sha256(std::as_bytes(secret), full)) return false;
  digest key{};
  std::memcpy(key.data(), full.data(), key.size());
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.contains(key)) return false;
  if (seen_.size() >= capacity_) return false;
  seen_.insert(key);
  by_expiry_.push_back(entry{expires, key});
  return true;
}

std::size_t replay_guard::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

} // namespace tern::crypto
