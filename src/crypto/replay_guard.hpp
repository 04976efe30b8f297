#pragma once

// Anti-replay for 0-RTT (RFC 8446 §8): single-use tickets for early data.
// A server remembers a digest of every ticket whose early data it accepted
// until that ticket expires; the same ticket offered again (a replayed first
// flight, from any address) resumes without early data. The register is
// bounded: when full, early data is refused (the handshake still resumes,
// its data goes a round trip later), never accepted unchecked.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <unordered_set>

namespace tern::crypto {

class replay_guard {
public:
  /// Bytes remembered per ticket: a truncated SHA-256 of its resumption
  /// secret (no secret is kept).
  static constexpr std::size_t digest_length = 16;
  using digest = std::array<std::uint8_t, digest_length>;
  /// Memory per entry, for the documentation's bound: the digest and its
  /// expiry in the queue, the digest in the hash set with its node.
  static constexpr std::size_t approximate_entry_bytes = 96;

  /// At most `capacity` tickets remembered (about capacity *
  /// approximate_entry_bytes of memory).
  explicit replay_guard(std::size_t capacity = 100000) : capacity_(capacity) {}

  /// Whether `secret`'s early data may be accepted: true the first time it
  /// is seen before `expires` (seconds, the clock of `now`); false for a
  /// replay, an expired ticket, or a full register.
  bool first_use(std::span<const std::uint8_t> secret, std::int64_t now, std::int64_t expires);

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

private:
  struct digest_hash {
    std::size_t operator()(const digest& d) const noexcept;
  };
  struct entry {
    std::int64_t expires = 0;
    digest key{};
  };
  void forget_expired(std::int64_t now);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_set<digest, digest_hash> seen_;
  std::deque<entry> by_expiry_; // in insertion order; expiries nearly sorted
};

} // namespace tern::crypto
