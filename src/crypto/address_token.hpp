#pragma once

#include <tern/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::crypto {

/// Size of an address-validation token on the wire:
/// secret id (1) | issue time (8, microseconds, big-endian) | HMAC-SHA256 (32).
inline constexpr std::size_t address_token_length = 1 + 8 + 32;
/// Length of the server's token secrets.
inline constexpr std::size_t address_token_secret_length = 32;

/// Stateless address-validation tokens (the RFC 9000 §8.1 idea): the
/// server hands a client a token that proves, when it comes back, that the
/// client received packets at its claimed address, without the server
/// remembering anything per client.
///
/// token = id || t || HMAC-SHA256(secret[id], "tern address token" || id || t || address)
///
/// `address` is whatever bytes the caller uses to name the client's
/// transport address (e.g. IP and port). The server holds a current and a
/// previous secret: rotate() makes the current one previous, so a token
/// survives exactly one rotation; rotating at least as often as the token
/// lifetime bounds how long a leaked secret is useful. Times are tern
/// time_points, so tokens do not survive a restart (neither do the secrets).
/// Not thread-safe.
class address_token_authority {
public:
  /// Tokens are valid for `lifetime` after they are issued. The first secret
  /// comes from OpenSSL's CSPRNG (if that fails, from rotate()'s next call).
  explicit address_token_authority(duration lifetime);
  ~address_token_authority();
  address_token_authority(const address_token_authority&) = delete;
  address_token_authority& operator=(const address_token_authority&) = delete;

  /// Makes the current secret the previous one and installs a fresh random
  /// one. Errors: internal_error (CSPRNG failure; nothing changes).
  std::error_code rotate() noexcept;
  /// The same with a caller-chosen secret (deterministic tests, or secrets
  /// shared by a server farm). Errors: invalid_argument unless 32 bytes.
  std::error_code rotate(std::span<const std::byte> secret) noexcept;

  /// Writes a token for `address`, issued at `now`, into out[0, 41).
  /// Errors: invalid_argument if `out` is shorter than address_token_length;
  /// key_unavailable if no secret could be installed; internal_error.
  std::error_code issue(std::span<const std::byte> address, time_point now, std::span<std::byte> out) const noexcept;

  /// Checks a token presented by `address` at `now`.
  /// Errors: token_invalid (wrong length, unknown secret id — e.g. issued two
  /// rotations ago —, MAC mismatch: forged, corrupted, or issued to another
  /// address, or an issue time in the future); token_expired (authentic, but
  /// issued more than `lifetime` before `now`); internal_error.
  /// The MAC is checked first, so only authentic tokens can be "expired".
  std::error_code validate(std::span<const std::byte> token, std::span<const std::byte> address,
                           time_point now) const noexcept;
  /// The same with a `lifetime` of the caller's instead of lifetime(): one
  /// authority (one set of secrets) serves tokens of different lifetimes,
  /// which the caller tells apart by what `address` binds.
  std::error_code validate(std::span<const std::byte> token, std::span<const std::byte> address, time_point now,
                           duration lifetime) const noexcept;

  duration lifetime() const noexcept { return lifetime_; }

private:
  struct secret_slot {
    bool valid = false;
    std::uint8_t id = 0;
    std::array<std::byte, address_token_secret_length> key{};
  };
  std::error_code mac(const secret_slot& secret, std::span<const std::byte> id_and_time,
                      std::span<const std::byte> address, std::span<std::byte, 32> out) const noexcept;
  void install(std::span<const std::byte> secret) noexcept;

  duration lifetime_;
  secret_slot current_;
  secret_slot previous_;
  std::uint8_t next_id_ = 0;
};

} // namespace tern::crypto
