#pragma once

// The keys a tern server seals its session tickets with (docs/crypto.md,
// "Resumption"): stateless tickets, so the ring is the only server state a
// ticket needs. Shared by every connection of a server (and by several
// servers that should accept each other's tickets), hence thread-safe.

#include <array>
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
class ticket_key_ring {
public:
  explicit ticket_key_ring(const ticket_key& current) : current_(current) {}
  ~ticket_key_ring();
  ticket_key_ring(const ticket_key_ring&) = delete;
  ticket_key_ring& operator=(const ticket_key_ring&) = delete;

  /// A ring with one fresh random key. Errors: internal_error.
  static std::shared_ptr<ticket_key_ring> generate(std::error_code& ec);

  /// Makes `next` current and the current key previous.
  void rotate(const ticket_key& next);
  /// The same with a fresh random key. Errors: internal_error.
  std::error_code rotate();

  ticket_key current() const;
  /// The key named `name`, and whether it is the current one.
  std::optional<std::pair<ticket_key, bool>> find(std::span<const std::uint8_t> name) const;

private:
  mutable std::mutex mutex_;
  ticket_key current_;
  std::optional<ticket_key> previous_;
};

} // namespace tern::crypto
