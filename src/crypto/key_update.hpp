#pragma once

#include "crypto/aead.hpp"
#include "crypto/header_protection.hpp"
#include "crypto/key_schedule.hpp"

#include <tern/time.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::crypto {

/// AEAD usage limits (RFC 9001 §6.6), in packets.
struct aead_usage_limits {
  /// Packets that may be sealed under one key.
  std::uint64_t confidentiality = 0;
  /// Packets that may fail authentication over the whole connection, all
  /// keys together.
  std::uint64_t integrity = 0;
};

/// AES-128-GCM: 2^23 and 2^52. ChaCha20-Poly1305: no practical
/// confidentiality limit (2^62, more packets than can exist) and 2^36. The
/// null cipher gets AES-128-GCM's, so tests see the same behaviour.
constexpr aead_usage_limits rfc9001_usage_limits(aead_algorithm a) noexcept {
  if (a == aead_algorithm::chacha20_poly1305) return {std::uint64_t{1} << 62, std::uint64_t{1} << 36};
  return {std::uint64_t{1} << 23, std::uint64_t{1} << 52};
}

struct key_update_config {
  /// Packets sealed under one key after which key_update_due() turns true.
  /// 0: half the confidentiality limit.
  std::uint64_t update_threshold = 0;
  /// Lower limits than RFC 9001's, for tests; 0 keeps the RFC value.
  std::uint64_t confidentiality_limit = 0;
  std::uint64_t integrity_limit = 0;
  /// How long the previous generation's receive key is kept after the
  /// first packet under the new one (RFC 9001 §6.5: about 3 x PTO). The
  /// connection adjusts it with set_old_key_retention() as its PTO moves.
  duration old_key_retention = std::chrono::seconds{3};
};

/// The 1-RTT keys of a connection across key updates (RFC 9001 §6).
///
/// Generations: both directions start at generation 0; the key phase bit
/// of a packet is its generation's parity. The receive side holds up to
/// three keys: previous (kept until a deadline so reordered packets still
/// open), current, and next (precomputed, to recognise the peer's update
/// without a pause or a timing signal). Header-protection keys never change.
///
/// The connection:
///  - seals with seal() and sets the key phase bit to send_key_phase();
///  - after removing header protection and reconstructing the packet
///    number, calls open() with the packet's key phase bit; a packet that
///    opens under the next key is the peer's key update, which this object
///    follows (and answers by updating its send key if it has not already);
///  - reports acknowledged packet numbers (on_packet_acknowledged) so the
///    object knows when its own update is confirmed;
///  - initiates an update when key_update_due() and can_initiate_update();
///  - arms a timer at next_timeout() and calls on_timeout();
///  - closes the connection when integrity_limit_reached(), or when seal()
///    returns usage_limit_reached.
/// The connection must not initiate an update before the handshake is
/// confirmed (RFC 9001 §6.1). Allocation-free per packet; not thread-safe.
class one_rtt_keys {
public:
  /// Installs generation 0 from the 1-RTT secrets (derive_one_rtt_secrets)
  /// with the negotiated AEAD (tls_session::aead()), resetting all state.
  /// Errors: internal_error (the object is then not installed).
  std::error_code install(aead_algorithm a, const directional_secrets& secrets,
                          const key_update_config& config = {}) noexcept;
  bool installed() const noexcept { return installed_; }
  aead_algorithm algorithm() const noexcept { return algorithm_; }
  aead_usage_limits limits() const noexcept { return limits_; }

  // --- sending -------------------------------------------------------------

  /// Seals under the current send key (packet_protector::seal) and counts
  /// the packet. Errors: key_unavailable before install(); usage_limit_reached
  /// once the confidentiality limit is reached (update keys or close);
  /// the protector's errors.
  std::error_code seal(std::uint64_t packet_number, std::span<const std::byte> header,
                       std::span<std::byte> payload_and_tag) noexcept;
  bool send_key_phase() const noexcept { return (send_generation_ & 1) != 0; }
  std::uint64_t send_generation() const noexcept { return send_generation_; }
  header_protector& send_header_protector() noexcept { return send_header_; }

  // --- receiving -----------------------------------------------------------

  /// Opens a packet whose key phase bit is `key_phase` and whose packet
  /// number, reconstructed to 64 bits, is `packet_number` (see
  /// packet_protector::open). `now` starts the retention of the previous key
  /// when this packet turns out to be the peer's key update.
  /// Errors: authentication_failed (counted towards the integrity limit);
  /// key_unavailable (not installed, or the packet belongs to a previous
  /// generation whose key is discarded: drop it, nothing is counted);
  /// usage_limit_reached (integrity limit reached: close the connection);
  /// internal_error.
  std::error_code open(bool key_phase, std::uint64_t packet_number, std::span<const std::byte> header,
                       std::span<std::byte> ciphertext_and_tag, time_point now) noexcept;
  std::uint64_t receive_generation() const noexcept { return receive_generation_; }
  header_protector& receive_header_protector() noexcept { return receive_header_; }

  // --- key update ----------------------------------------------------------

  /// True once update_threshold packets were sealed under the current key.
  bool key_update_due() const noexcept { return installed_ && sealed_ >= update_threshold_; }
  /// True when this side may start an update: the peer has answered the
  /// previous one (same generation both ways), a packet sent under the
  /// current key has been acknowledged, and the previous receive key has
  /// been discarded (RFC 9001 §6.1, §6.5).
  bool can_initiate_update() const noexcept;
  /// Moves the send side to the next generation. Errors: key_update_not_allowed
  /// unless can_initiate_update(); internal_error.
  std::error_code initiate_update() noexcept;
  /// The peer acknowledged `packet_number`.
  void on_packet_acknowledged(std::uint64_t packet_number) noexcept;
  void set_old_key_retention(duration retention) noexcept { retention_ = retention; }
  /// When the previous receive key is discarded; tern::never if none is held.
  time_point next_timeout() const noexcept { return has_previous_key_ ? discard_at_ : never; }
  void on_timeout(time_point now) noexcept;
  bool has_previous_key() const noexcept { return has_previous_key_; }

  // --- usage ---------------------------------------------------------------

  std::uint64_t packets_sealed_with_current_key() const noexcept { return sealed_; }
  std::uint64_t authentication_failures() const noexcept { return failures_; }
  bool confidentiality_limit_reached() const noexcept { return installed_ && sealed_ >= limits_.confidentiality; }
  bool integrity_limit_reached() const noexcept { return installed_ && failures_ >= limits_.integrity; }

private:
  packet_protector& receive_slot(std::uint64_t generation) noexcept { return receive_[generation % 3]; }
  std::error_code install_receive(std::uint64_t generation, const traffic_secret& secret) noexcept;
  std::error_code update_send() noexcept;
  std::error_code open_counted(packet_protector& p, std::uint64_t packet_number, std::span<const std::byte> header,
                               std::span<std::byte> ciphertext_and_tag) noexcept;

  bool installed_ = false;
  aead_algorithm algorithm_ = aead_algorithm::aes_128_gcm;
  aead_usage_limits limits_{};
  std::uint64_t update_threshold_ = 0;
  duration retention_{};

  // Send side.
  traffic_secret send_secret_{};
  packet_protector send_;
  header_protector send_header_;
  std::uint64_t send_generation_ = 0;
  std::uint64_t sealed_ = 0;
  bool send_pn_known_ = false;          // a packet was sealed in this generation
  std::uint64_t first_send_pn_ = 0;     // ... and this was the first one
  bool send_acknowledged_ = false;      // a packet of this generation was acked

  // Receive side: slot g % 3 holds generation g's key.
  std::array<packet_protector, 3> receive_;
  header_protector receive_header_;
  traffic_secret next_receive_secret_{}; // generation receive_generation_ + 1
  std::uint64_t receive_generation_ = 0;
  std::uint64_t first_receive_pn_ = 0;   // lowest packet number opened in this generation
  bool has_previous_key_ = false;
  time_point discard_at_ = never;
  std::uint64_t failures_ = 0;
};

} // namespace tern::crypto
