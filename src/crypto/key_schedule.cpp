// tern's key schedule (docs/crypto.md, "Key schedule").
//
// Three sources of secrets, one expansion:
//  - handshake packets: HKDF-Extract over the client's first DCID with a
//    fixed salt, as RFC 9001 §5.2 does for Initial packets;
//  - 1-RTT packets: the TLS 1.3 exporter (RFC 8446 §7.5) of the completed
//    handshake, one label per direction. Unlike QUIC, which takes the TLS
//    traffic secrets themselves, tern uses the exporter because OpenSSL 3.0
//    exposes no QUIC interface; the exporter is bound to the whole
//    handshake transcript, so the security argument is the same;
//  - key updates: HKDF-Expand-Label(current, "tern ku"), RFC 9001 §6.1.
// Each secret expands into key, IV and header-protection key with
// HKDF-Expand-Label (RFC 9001 §5.1) under tern's own labels.

#include "crypto/key_schedule.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/tls_session.hpp"

#include <openssl/crypto.h>

namespace tern::crypto {

std::error_code derive_packet_key_material(aead_algorithm a, const traffic_secret& secret,
                                           packet_key_material& out) noexcept {
  out.algorithm = a;
  const std::size_t key_length = aead_key_length(a);
  if (auto ec = hkdf_expand_label(secret, labels::key, {}, std::span{out.key}.first(key_length))) return ec;
  if (auto ec = hkdf_expand_label(secret, labels::iv, {}, out.iv)) return ec;
  return hkdf_expand_label(secret, labels::hp, {}, std::span{out.hp}.first(key_length));
}

std::error_code derive_next_secret(const traffic_secret& current, traffic_secret& next) noexcept {
  traffic_secret result{};
  if (auto ec = hkdf_expand_label(current, labels::key_update, {}, result)) return ec;
  next = result; // `next` may alias `current`
  OPENSSL_cleanse(result.data(), result.size());
  return {};
}

std::error_code derive_handshake_secrets(std::span<const std::byte> client_dcid, traffic_secret& client,
                                         traffic_secret& server) noexcept {
  if (client_dcid.empty()) return crypto_errc::invalid_argument;
  std::array<std::byte, hkdf_hash_length> prk{};
  std::error_code ec = hkdf_extract(handshake_salt, client_dcid, prk);
  if (!ec) ec = hkdf_expand_label(prk, labels::handshake_client, {}, client);
  if (!ec) ec = hkdf_expand_label(prk, labels::handshake_server, {}, server);
  OPENSSL_cleanse(prk.data(), prk.size());
  return ec;
}

std::error_code derive_handshake_secrets(tls_role role, std::span<const std::byte> client_dcid,
                                         directional_secrets& out) noexcept {
  return role == tls_role::client ? derive_handshake_secrets(client_dcid, out.send, out.receive)
                                  : derive_handshake_secrets(client_dcid, out.receive, out.send);
}

std::error_code derive_one_rtt_secrets(const tls_session& session, directional_secrets& out) noexcept {
  traffic_secret client_to_server{};
  traffic_secret server_to_client{};
  std::error_code ec = session.export_keying_material(labels::exporter_client_to_server, client_to_server);
  if (!ec) ec = session.export_keying_material(labels::exporter_server_to_client, server_to_client);
  if (!ec) {
    const bool client = session.role() == tls_role::client;
    out.send = client ? client_to_server : server_to_client;
    out.receive = client ? server_to_client : client_to_server;
  }
  OPENSSL_cleanse(client_to_server.data(), client_to_server.size());
  OPENSSL_cleanse(server_to_client.data(), server_to_client.size());
  return ec;
}

std::error_code packet_protection::install(aead_algorithm a, const traffic_secret& secret) noexcept {
  packet_key_material keys;
  std::error_code ec = derive_packet_key_material(a, secret, keys);
  if (!ec) ec = payload.set_key(a, keys.key_bytes(), keys.iv);
  if (!ec) ec = header.set_key(a, keys.hp_bytes());
  OPENSSL_cleanse(&keys, sizeof keys);
  if (ec) clear();
  return ec;
}

} // namespace tern::crypto
