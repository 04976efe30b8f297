#pragma once

#include "crypto/key_schedule.hpp"
#include "crypto/key_update.hpp"
#include "crypto/tls_role.hpp"
#include "wire/header.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::crypto {
class tls_session;
}

namespace tern::core {

/// The packet protection of one connection (docs/protocol.md §8): the
/// handshake obfuscation keys (from the client's first Destination
/// Connection ID) for long-header packets, and the 1-RTT keys (from the TLS
/// exporter, with key update) for short-header packets. Packets are
/// protected in place: payload AEAD first, then header protection over the
/// low first-byte bits and the 2 packet number bytes.
class packet_protection {
public:
  /// Derives and installs the long-header keys. Errors: crypto errors
  /// (invalid_argument for an empty DCID, internal_error).
  std::error_code install_handshake(crypto::tls_role role, std::span<const std::byte> client_dcid) noexcept;
  /// Derives the 1-RTT keys from the completed TLS session (its negotiated
  /// AEAD). Errors: handshake_incomplete, internal_error.
  std::error_code install_one_rtt(const crypto::tls_session& session, const crypto::key_update_config& cfg) noexcept;
  /// Derives and installs the 0-RTT keys of a resuming client (send) or of
  /// a server that accepted its early data (receive), from the TLS early
  /// exporter: TLS-Exporter-Early("EXPORTER-tern 0rtt", "", 32), AES-128-GCM.
  /// Errors: key_unavailable (no early data offered/accepted), internal_error.
  std::error_code install_zero_rtt(const crypto::tls_session& session) noexcept;
  /// Forgets the 0-RTT keys (the client once the handshake completed, the
  /// server once 1-RTT packets arrive or the handshake is confirmed).
  void discard_zero_rtt() noexcept;
  /// Forgets the long-header keys (once the handshake is confirmed): later
  /// long-header packets can no longer be opened or sent.
  void discard_handshake() noexcept;

  bool has_handshake_keys() const noexcept { return handshake_installed_; }
  bool has_one_rtt_keys() const noexcept { return one_rtt_.installed(); }
  bool has_zero_rtt_keys() const noexcept { return zero_rtt_installed_; }
  crypto::one_rtt_keys& one_rtt() noexcept { return one_rtt_; }
  const crypto::one_rtt_keys& one_rtt() const noexcept { return one_rtt_; }

  /// Protects a packet written in place. `packet` holds the header
  /// (`header_length` bytes, its 2-byte packet number at `pn_offset`, key
  /// phase bit already set for short headers), the plaintext payload, and
  /// aead_tag_length bytes of room at the end. Errors: key_unavailable,
  /// usage_limit_reached (1-RTT confidentiality limit), internal_error.
  std::error_code seal(wire::packet_type type, std::uint64_t packet_number, std::span<std::byte> packet,
                       std::size_t header_length, std::size_t pn_offset) noexcept;

  /// Removes header protection in place (first byte and packet number).
  /// Errors: key_unavailable; invalid_argument when the packet is too short
  /// to sample (drop it).
  std::error_code remove_header_protection(wire::packet_type type, std::span<std::byte> packet,
                                           std::size_t pn_offset) noexcept;

  /// Authenticates and decrypts the payload of a packet whose header
  /// protection was removed; on success `plaintext` views the frames inside
  /// `packet`. Errors: authentication_failed (drop, counted),
  /// key_unavailable (drop), usage_limit_reached (integrity limit: close),
  /// invalid_argument (shorter than a tag: drop).
  std::error_code open(wire::packet_type type, bool key_phase, std::uint64_t packet_number, std::span<std::byte> packet,
                       std::size_t header_length, time_point now, std::span<std::byte>& plaintext) noexcept;

  /// Packets that failed authentication, both kinds of keys.
  std::uint64_t authentication_failures() const noexcept { return failures_; }

private:
  /// The payload and header protection for `type`'s packets, sending or
  /// receiving; null when none is installed (1-RTT: one_rtt_ instead).
  crypto::packet_protection* long_keys(wire::packet_type type, bool send) noexcept;

  bool handshake_installed_ = false;
  bool zero_rtt_installed_ = false;
  crypto::packet_protection zero_rtt_; // one direction: client->server
  crypto::packet_protection handshake_send_;
  crypto::packet_protection handshake_receive_;
  crypto::one_rtt_keys one_rtt_;
  std::uint64_t failures_ = 0;
};

} // namespace tern::core
