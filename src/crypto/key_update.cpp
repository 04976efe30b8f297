// 1-RTT keys and key updates (RFC 9001 §6), with AEAD usage limits (§6.6).
//
// Receive-side key selection for a packet with key phase bit b and packet
// number pn, current receive generation g (phase g & 1), and P = the lowest
// packet number opened under generation g:
//   b == phase(g)            -> generation g
//   b != phase(g), pn <  P   -> generation g - 1 (if still held, else drop)
//   b != phase(g), pn >= P   -> generation g + 1; success = peer's update
// Packet numbers never repeat and grow per generation, which is what makes
// "older than the first packet of g" mean "from before the update"
// (RFC 9001 §6.3, §6.5).
//
// Keys live in three slots indexed by generation mod 3, so a rotation
// re-keys the slot of the discarded generation in place for g + 2: no
// object moves, no allocation, and the next key is ready before the
// peer's update arrives (§6.3's advice against a timing side channel).

#include "crypto/key_update.hpp"

#include "crypto/crypto_error.hpp"

#include <openssl/crypto.h>

namespace tern::crypto {

std::error_code one_rtt_keys::install(aead_algorithm a, const directional_secrets& secrets,
                                      const key_update_config& config) noexcept {
  installed_ = false;
  algorithm_ = a;
  limits_ = rfc9001_usage_limits(a);
  if (config.confidentiality_limit != 0) limits_.confidentiality = config.confidentiality_limit;
  if (config.integrity_limit != 0) limits_.integrity = config.integrity_limit;
  update_threshold_ = config.update_threshold != 0 ? config.update_threshold : limits_.confidentiality / 2;
  retention_ = config.old_key_retention;

  send_generation_ = 0;
  sealed_ = 0;
  send_pn_known_ = false;
  first_send_pn_ = 0;
  send_acknowledged_ = false;
  receive_generation_ = 0;
  first_receive_pn_ = 0;
  has_previous_key_ = false;
  discard_at_ = never;
  failures_ = 0;
  for (auto& slot : receive_) slot.clear();

  packet_key_material send_keys;
  packet_key_material receive_keys;
  std::error_code ec = derive_packet_key_material(a, secrets.send, send_keys);
  if (!ec) ec = derive_packet_key_material(a, secrets.receive, receive_keys);
  if (!ec) ec = send_.set_key(a, send_keys.key_bytes(), send_keys.iv);
  if (!ec) ec = send_header_.set_key(a, send_keys.hp_bytes());
  if (!ec) ec = receive_slot(0).set_key(a, receive_keys.key_bytes(), receive_keys.iv);
  if (!ec) ec = receive_header_.set_key(a, receive_keys.hp_bytes());
  if (!ec) ec = derive_next_secret(secrets.receive, next_receive_secret_);
  if (!ec) ec = install_receive(1, next_receive_secret_);
  if (!ec) {
    send_secret_ = secrets.send;
    installed_ = true;
  }
  OPENSSL_cleanse(&send_keys, sizeof send_keys);
  OPENSSL_cleanse(&receive_keys, sizeof receive_keys);
  return ec;
}

std::error_code one_rtt_keys::install_receive(std::uint64_t generation, const traffic_secret& secret) noexcept {
  packet_key_material keys;
  std::error_code ec = derive_packet_key_material(algorithm_, secret, keys);
  if (!ec) ec = receive_slot(generation).set_key(algorithm_, keys.key_bytes(), keys.iv);
  OPENSSL_cleanse(&keys, sizeof keys);
  return ec;
}

std::error_code one_rtt_keys::seal(std::uint64_t packet_number, std::span<const std::byte> header,
                                   std::span<std::byte> payload_and_tag) noexcept {
  if (!installed_) return crypto_errc::key_unavailable;
  if (sealed_ >= limits_.confidentiality) return crypto_errc::usage_limit_reached;
  if (auto ec = send_.seal(packet_number, header, payload_and_tag)) return ec;
  ++sealed_;
  if (!send_pn_known_) {
    send_pn_known_ = true;
    first_send_pn_ = packet_number;
  }
  return {};
}

std::error_code one_rtt_keys::open_counted(packet_protector& p, std::uint64_t packet_number,
                                           std::span<const std::byte> header,
                                           std::span<std::byte> ciphertext_and_tag) noexcept {
  const std::error_code ec = p.open(packet_number, header, ciphertext_and_tag);
  if (ec == crypto_errc::authentication_failed) ++failures_;
  return ec;
}

std::error_code one_rtt_keys::open(bool key_phase, std::uint64_t packet_number, std::span<const std::byte> header,
                                   std::span<std::byte> ciphertext_and_tag, time_point now) noexcept {
  if (!installed_) return crypto_errc::key_unavailable;
  if (failures_ >= limits_.integrity) return crypto_errc::usage_limit_reached;

  const bool current_phase = (receive_generation_ & 1) != 0;
  if (key_phase == current_phase) {
    auto ec = open_counted(receive_slot(receive_generation_), packet_number, header, ciphertext_and_tag);
    if (!ec && packet_number < first_receive_pn_) first_receive_pn_ = packet_number;
    return ec;
  }
  if (packet_number < first_receive_pn_) {
    // Sent before the peer's last update: only the previous key can open it.
    if (!has_previous_key_) return crypto_errc::key_unavailable;
    return open_counted(receive_slot(receive_generation_ - 1), packet_number, header, ciphertext_and_tag);
  }
  if (auto ec = open_counted(receive_slot(receive_generation_ + 1), packet_number, header, ciphertext_and_tag))
    return ec;

  // The peer moved to the next generation. The current key becomes the
  // previous one (replacing any older previous key) and the slot freed
  // by that gets the generation after next.
  ++receive_generation_;
  first_receive_pn_ = packet_number;
  has_previous_key_ = true;
  discard_at_ = now + retention_;
  std::error_code ec = derive_next_secret(next_receive_secret_, next_receive_secret_);
  if (!ec) ec = install_receive(receive_generation_ + 1, next_receive_secret_);
  // Answer the update (RFC 9001 §6.2) unless this side started it.
  if (!ec && send_generation_ < receive_generation_) ec = update_send();
  return ec;
}

bool one_rtt_keys::can_initiate_update() const noexcept {
  return installed_ && send_generation_ == receive_generation_ && send_acknowledged_ && !has_previous_key_;
}

std::error_code one_rtt_keys::initiate_update() noexcept {
  if (!can_initiate_update()) return crypto_errc::key_update_not_allowed;
  return update_send();
}

std::error_code one_rtt_keys::update_send() noexcept {
  packet_key_material keys;
  std::error_code ec = derive_next_secret(send_secret_, send_secret_);
  if (!ec) ec = derive_packet_key_material(algorithm_, send_secret_, keys);
  if (!ec) ec = send_.set_key(algorithm_, keys.key_bytes(), keys.iv);
  OPENSSL_cleanse(&keys, sizeof keys);
  if (ec) return ec;
  ++send_generation_;
  sealed_ = 0;
  send_pn_known_ = false;
  send_acknowledged_ = false;
  return {};
}

void one_rtt_keys::on_packet_acknowledged(std::uint64_t packet_number) noexcept {
  if (send_pn_known_ && packet_number >= first_send_pn_) send_acknowledged_ = true;
}

void one_rtt_keys::on_timeout(time_point now) noexcept {
  if (has_previous_key_ && now >= discard_at_) {
    receive_slot(receive_generation_ - 1).clear();
    has_previous_key_ = false;
    discard_at_ = never;
  }
}

} // namespace tern::crypto
