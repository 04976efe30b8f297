#pragma once

#include "stun/message.hpp"

#include <cstddef>
#include <span>
#include <system_error>

namespace tern::stun {

/// Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) of a decoded
/// message under `key` (for short-term credentials: the password after
/// OpaqueString preparation). The comparison is constant-time.
/// Errors: integrity_missing, integrity_mismatch, crypto_failure.
std::error_code verify_message_integrity(const message& m, std::span<const std::byte> key) noexcept;

/// Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), which may be truncated
/// to 16-32 bytes. Errors: integrity_missing, integrity_mismatch,
/// crypto_failure.
std::error_code verify_message_integrity_sha256(const message& m, std::span<const std::byte> key) noexcept;

/// Short-term credential check (RFC 8489 §9.1.3, §9.1.4): verifies
/// MESSAGE-INTEGRITY-SHA256 when present, MESSAGE-INTEGRITY otherwise.
/// Errors as above.
std::error_code verify_integrity(const message& m, std::span<const std::byte> key) noexcept;

/// A fresh transaction ID from OpenSSL's CSPRNG, as RFC 8489 §6 requires
/// (the ID is what keeps off-path attackers from forging responses).
/// Returns false only if OpenSSL cannot produce random bytes.
bool random_transaction_id(transaction_id& out) noexcept;

} // namespace tern::stun
