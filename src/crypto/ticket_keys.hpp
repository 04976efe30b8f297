#pragma once

// The keys a tern server seals its session tickets with (docs/crypto.md,
// "Resumption"): stateless tickets, so the ring is the only server state a
// ticket needs. Shared by every connection of a server (and by several
// servers that should accept each other's tickets), hence thread-safe.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>

namespace tern::crypto {

/// One ticket key: a public name (sent in the ticket, selects the key), an
/// AES-256-CBC key and an HMAC-SHA256 key (the protection RFC 5077 §4
/// recommends, which OpenSSL's ticket format applies).
struct ticket_key {
  static constexpr std::size_t name_length = 16;
  static constexpr std::size_t secret_length = 32;
  std::array<std::uint8_t, name_length> name{};
  std::array<std::uint8_t, secret_length> cipher_key{};
  std::array<std::uint8_t, secret_length> mac_key{};
  /// All three fields from OpenSSL's CSPRNG. Errors: internal_error.
  static std::optional<ticket_key> generate(std::error_code& ec);
  /// From `bytes` (name || cipher_key || mac_key, 80 bytes): servers that
  /// share a secret accept each other's tickets. Errors: invalid_argument.
  static std::optional<ticket_key> from_bytes(std::span<const std::byte> bytes, std::error_code& ec);
};

/// The current key (sealing and opening) and the one before it (opening
/// only: a ticket opened with it is replaced by a fresh one). rotate()
/// retires the previous key, so a ticket survives exactly one rotation:
/// rotating every lifetime lets every ticket live its full lifetime.
/// Memory: two keys, whatever the number of tickets.
///
/// Automatic rotation (rotating()): the ring rotates itself whenever the
/// Unix time passed to advance() has entered a new period of `interval`
/// seconds (periods count from the epoch, so servers and restarts agree on
/// them). Each period's key is either fresh random (retired keys are then
/// erased for good: a later compromise of the server opens no older
/// ticket) or derived from a master secret (servers sharing it seal and
/// open each other's tickets in every period). A ticket sealed in period n
/// opens in periods n and n + 1 and no later.
class ticket_key_ring {
public:
  explicit ticket_key_ring(const ticket_key& current) : current_(current) {}
  ~ticket_key_ring();
  ticket_key_ring(const ticket_key_ring&) = delete;
  ticket_key_ring& operator=(const ticket_key_ring&) = delete;

  /// A ring with one fresh random key. Errors: internal_error.
  static std::shared_ptr<ticket_key_ring> generate(std::error_code& ec);

  /// A ring that rotates every `interval` (> 0) from Unix time `now` on
  /// (advance()). `master`: empty for random period keys, else at least 32
  /// bytes of secret the period keys are derived from (HKDF, docs/crypto.md).
  /// Errors: invalid_argument (interval <= 0, master too short);
  /// internal_error.
  static std::shared_ptr<ticket_key_ring> rotating(std::chrono::seconds interval,
                                                   std::span<const std::byte> master, std::int64_t now,
                                                   std::error_code& ec);

  /// A rotating ring: rotates to the period of Unix time `now` if that is
  /// later than the ring's (once per elapsed period, so two or more
  /// retire both keys). A time before the ring's period changes nothing.
  /// Any other ring: does nothing. Thread-safe. Errors: internal_error (no
  /// random key; the ring keeps its keys and tries again next call).
  std::error_code advance(std::int64_t now);

  /// Makes `next` current and the current key previous.
  void rotate(const ticket_key& next);
  /// The same with a fresh random key. Errors: internal_error.
  std::error_code rotate();

  ticket_key current() const;
  /// The key named `name`, and whether it is the current one.
  std::optional<std::pair<ticket_key, bool>> find(std::span<const std::uint8_t> name) const;

  /// Rotating rings: the period length (0 for others) and the number of
  /// the current period (Unix time / interval).
  std::chrono::seconds rotation_interval() const noexcept { return interval_; }
  std::int64_t period() const;

private:
  /// Period `n`'s key: derived from master_, or random.
  std::optional<ticket_key> key_for(std::int64_t n, std::error_code& ec) const;
  void rotate_locked(const ticket_key& next);

  mutable std::mutex mutex_;
  ticket_key current_;
  std::optional<ticket_key> previous_;
  // Automatic rotation (rotating()); interval_ 0 for a ring rotated by hand.
  std::chrono::seconds interval_{0};
  std::int64_t period_ = 0;
  std::array<std::uint8_t, 32> master_prk_{}; // HKDF-Extract of the master secret
  bool derived_ = false;
};

} // namespace tern::crypto
