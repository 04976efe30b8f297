#pragma once

#include "crypto/aead.hpp"
#include "crypto/header_protection.hpp"
#include "crypto/tls_role.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

namespace tern::crypto {

class tls_session;

/// Every tern traffic secret is 32 bytes, and every derivation from it uses
/// HKDF-SHA256, whatever the TLS cipher suite (docs/crypto.md, "Key schedule").
inline constexpr std::size_t traffic_secret_length = 32;
using traffic_secret = std::array<std::byte, traffic_secret_length>;

/// An endpoint's view of one packet space's secrets: the one it seals with
/// and the one it opens with. A client's `send` is the server's `receive`.
struct directional_secrets {
  traffic_secret send{};
  traffic_secret receive{};
};

/// The labels of tern's key schedule. HKDF-Expand-Label prefixes each with
/// "tls13 " (RFC 8446 §7.1); the exporter labels go to
/// SSL_export_keying_material as they are (RFC 8446 §7.5).
namespace labels {
inline constexpr std::string_view handshake_client = "tern hs client";
inline constexpr std::string_view handshake_server = "tern hs server";
inline constexpr std::string_view key = "tern key";
inline constexpr std::string_view iv = "tern iv";
inline constexpr std::string_view hp = "tern hp";
inline constexpr std::string_view key_update = "tern ku";
inline constexpr std::string_view exporter_client_to_server = "EXPORTER-tern 1rtt client";
inline constexpr std::string_view exporter_server_to_client = "EXPORTER-tern 1rtt server";
/// The early exporter (early_exporter_master_secret) label of the 0-RTT
/// client->server secret.
inline constexpr std::string_view exporter_zero_rtt = "EXPORTER-tern 0rtt";
} // namespace labels

/// The fixed HKDF-Extract salt of tern's handshake-packet keys (protocol
/// version 1). A future protocol version must pick a new one.
inline constexpr std::array<std::byte, 20> handshake_salt = {
    std::byte{0x80}, std::byte{0x67}, std::byte{0xbc}, std::byte{0xad}, std::byte{0x86},
    std::byte{0xb8}, std::byte{0x31}, std::byte{0xc4}, std::byte{0x6f}, std::byte{0x11},
    std::byte{0xb6}, std::byte{0xc4}, std::byte{0x76}, std::byte{0xf0}, std::byte{0xaf},
    std::byte{0x81}, std::byte{0x33}, std::byte{0x2a}, std::byte{0xec}, std::byte{0x29}};

/// Handshake packets are always protected with AES-128-GCM.
inline constexpr aead_algorithm handshake_aead = aead_algorithm::aes_128_gcm;
/// So are 0-RTT packets: the client seals them before any suite is agreed.
inline constexpr aead_algorithm zero_rtt_aead = aead_algorithm::aes_128_gcm;

/// The packet protection keys derived from one traffic secret.
struct packet_key_material {
  aead_algorithm algorithm = aead_algorithm::aes_128_gcm;
  std::array<std::byte, max_aead_key_length> key{};
  std::array<std::byte, aead_iv_length> iv{};
  std::array<std::byte, max_aead_key_length> hp{};

  std::span<const std::byte> key_bytes() const noexcept { return std::span{key}.first(aead_key_length(algorithm)); }
  std::span<const std::byte> hp_bytes() const noexcept { return std::span{hp}.first(aead_key_length(algorithm)); }
};

/// key = HKDF-Expand-Label(secret, "tern key", "", key length),
/// iv  = HKDF-Expand-Label(secret, "tern iv",  "", 12),
/// hp  = HKDF-Expand-Label(secret, "tern hp",  "", key length).
/// Errors: internal_error.
std::error_code derive_packet_key_material(aead_algorithm a, const traffic_secret& secret,
                                           packet_key_material& out) noexcept;

/// The next key generation's secret:
/// HKDF-Expand-Label(current, "tern ku", "", 32). Errors: internal_error.
std::error_code derive_next_secret(const traffic_secret& current, traffic_secret& next) noexcept;

/// Handshake-packet secrets from the Destination Connection ID of the
/// client's first packet (RFC 9001 §5.2 shape):
///   prk    = HKDF-Extract(handshake_salt, client_dcid)
///   client = HKDF-Expand-Label(prk, "tern hs client", "", 32)
///   server = HKDF-Expand-Label(prk, "tern hs server", "", 32)
/// Anyone who sees the DCID can compute these: they keep casual tampering
/// and middlebox ossification away, not attackers.
/// Errors: invalid_argument if the DCID is empty; internal_error.
std::error_code derive_handshake_secrets(std::span<const std::byte> client_dcid, traffic_secret& client,
                                         traffic_secret& server) noexcept;

/// The same, arranged as send/receive for `role`.
std::error_code derive_handshake_secrets(tls_role role, std::span<const std::byte> client_dcid,
                                         directional_secrets& out) noexcept;

/// 1-RTT secrets, from the completed TLS session's exporter (RFC 8446 §7.5):
///   client->server = TLS-Exporter("EXPORTER-tern 1rtt client", "", 32)
///   server->client = TLS-Exporter("EXPORTER-tern 1rtt server", "", 32)
/// arranged as send/receive for the session's role.
/// Errors: handshake_incomplete unless session.handshake_complete();
/// internal_error.
std::error_code derive_one_rtt_secrets(const tls_session& session, directional_secrets& out) noexcept;

/// Payload and header protection for one direction of one packet space.
struct packet_protection {
  packet_protector payload;
  header_protector header;

  /// Derives the key material from `secret` and installs it in both.
  /// Errors: internal_error.
  std::error_code install(aead_algorithm a, const traffic_secret& secret) noexcept;
  void clear() noexcept {
    payload.clear();
    header.clear();
  }
};

} // namespace tern::crypto
