// Packet protection of a connection (docs/protocol.md §8, RFC 9001 §5).
//
// Long-header packets (Initial, Handshake) are sealed with AES-128-GCM keys
// any observer of the client's first Destination Connection ID can derive:
// protection against tampering and ossification, not secrecy. Short-header
// packets use the 1-RTT keys from the TLS exporter, whose key phase follows
// crypto::one_rtt_keys. Header protection samples the 16 bytes after the
// 2-byte packet number, which always exist because the AEAD tag alone is 16
// bytes.

#include "core/packet_protection.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/header_protection.hpp"
#include "crypto/tls_session.hpp"

#include <openssl/crypto.h>

namespace tern::core {

std::error_code packet_protection::install_handshake(crypto::tls_role role,
                                                     std::span<const std::byte> client_dcid) noexcept {
  crypto::directional_secrets secrets;
  if (auto ec = crypto::derive_handshake_secrets(role, client_dcid, secrets)) return ec;
  if (auto ec = handshake_send_.install(crypto::handshake_aead, secrets.send)) return ec;
  if (auto ec = handshake_receive_.install(crypto::handshake_aead, secrets.receive)) return ec;
  handshake_installed_ = true;
  return {};
}

std::error_code packet_protection::install_one_rtt(const crypto::tls_session& session,
                                                   const crypto::key_update_config& cfg) noexcept {
  crypto::directional_secrets secrets;
  if (auto ec = crypto::derive_one_rtt_secrets(session, secrets)) return ec;
  return one_rtt_.install(session.aead(), secrets, cfg);
}

std::error_code packet_protection::install_zero_rtt(const crypto::tls_session& session) noexcept {
  crypto::traffic_secret secret{};
  std::error_code ec = session.export_early_keying_material(crypto::labels::exporter_zero_rtt, secret);
  if (!ec) ec = zero_rtt_.install(crypto::zero_rtt_aead, secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  zero_rtt_installed_ = !ec;
  return ec;
}

void packet_protection::discard_zero_rtt() noexcept {
  zero_rtt_.clear();
  zero_rtt_ = crypto::packet_protection{};
  zero_rtt_installed_ = false;
}

crypto::packet_protection* packet_protection::long_keys(wire::packet_type type, bool send) noexcept {
  if (type == wire::packet_type::zero_rtt) return zero_rtt_installed_ ? &zero_rtt_ : nullptr;
  if (!handshake_installed_) return nullptr;
  return send ? &handshake_send_ : &handshake_receive_;
}

void packet_protection::discard_handshake() noexcept {
  handshake_send_.clear();
  handshake_receive_.clear();
  // Their cipher contexts too (about 3.7 KiB): nothing keys them again.
  handshake_send_ = crypto::packet_protection{};
  handshake_receive_ = crypto::packet_protection{};
  handshake_installed_ = false;
}

std::error_code packet_protection::seal(wire::packet_type type, std::uint64_t packet_number,
                                        std::span<std::byte> packet, std::size_t header_length,
                                        std::size_t pn_offset) noexcept {
  const auto header = packet.first(header_length);
  const auto body = packet.subspan(header_length);
  const bool long_header = type != wire::packet_type::one_rtt;
  crypto::header_protector* hp = nullptr;
  if (long_header) {
    auto* keys = long_keys(type, true);
    if (keys == nullptr) return crypto::crypto_errc::key_unavailable;
    if (auto ec = keys->payload.seal(packet_number, header, body)) return ec;
    hp = &keys->header;
  } else {
    if (auto ec = one_rtt_.seal(packet_number, header, body)) return ec;
    hp = &one_rtt_.send_header_protector();
  }
  const auto sample = crypto::header_protection_sample(packet, pn_offset);
  if (sample.empty()) return crypto::crypto_errc::invalid_argument;
  return hp->apply(header, pn_offset,
                   long_header ? crypto::long_header_protected_bits : crypto::short_header_protected_bits, sample);
}

std::error_code packet_protection::remove_header_protection(wire::packet_type type, std::span<std::byte> packet,
                                                            std::size_t pn_offset) noexcept {
  const bool long_header = type != wire::packet_type::one_rtt;
  crypto::header_protector* hp = nullptr;
  if (long_header) {
    auto* keys = long_keys(type, false);
    if (keys == nullptr) return crypto::crypto_errc::key_unavailable;
    hp = &keys->header;
  } else {
    if (!one_rtt_.installed()) return crypto::crypto_errc::key_unavailable;
    hp = &one_rtt_.receive_header_protector();
  }
  const auto sample = crypto::header_protection_sample(packet, pn_offset);
  if (sample.empty() || pn_offset + 2 > packet.size()) return crypto::crypto_errc::invalid_argument;
  return hp->remove(packet.first(pn_offset + 2), pn_offset,
                    long_header ? crypto::long_header_protected_bits : crypto::short_header_protected_bits, sample);
}

std::error_code packet_protection::open(wire::packet_type type, bool key_phase, std::uint64_t packet_number,
                                        std::span<std::byte> packet, std::size_t header_length, time_point now,
                                        std::span<std::byte>& plaintext) noexcept {
  if (packet.size() < header_length + crypto::aead_tag_length) return crypto::crypto_errc::invalid_argument;
  const auto header = packet.first(header_length);
  const auto body = packet.subspan(header_length);
  std::error_code ec;
  if (type != wire::packet_type::one_rtt) {
    auto* keys = long_keys(type, false);
    if (keys == nullptr) return crypto::crypto_errc::key_unavailable;
    ec = keys->payload.open(packet_number, header, body);
  } else {
    ec = one_rtt_.open(key_phase, packet_number, header, body, now);
  }
  if (ec) {
    if (ec == crypto::crypto_errc::authentication_failed) ++failures_;
    return ec;
  }
  plaintext = body.first(body.size() - crypto::aead_tag_length);
  return {};
}

} // namespace tern::core
