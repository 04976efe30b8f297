#pragma once

// Test-only access to core::connection (declared a friend in
// src/core/connection.hpp, defined only here): what a test needs to play a
// misbehaving peer, kept out of the production type's interface.

#include "core/connection.hpp"
#include "crypto/aead.hpp"
#include "wire/header.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tern::core {

struct connection_test_access {
  /// Puts `frames` (encoded frames, unchecked) at the start of `c`'s next
  /// 1-RTT packet: a peer with valid keys sending frames it must not.
  static void inject_frames(connection& c, std::span<const std::byte> frames) {
    c.injected_frames_.insert(c.injected_frames_.end(), frames.begin(), frames.end());
  }
  /// Whether injected frames still wait for a packet.
  static bool injected_pending(const connection& c) noexcept { return !c.injected_frames_.empty(); }
  /// Disjoint received ranges stream `id` holds for reassembly (0 when it
  /// has no receiving half, or is gone).
  static std::size_t recv_ranges_held(connection& c, std::uint64_t id) noexcept {
    auto* s = c.streams_.find(id);
    return s && s->recv ? s->recv->ranges_held() : 0;
  }
  /// Starts a key update now if allowed (otherwise they happen on their own
  /// before the AEAD limits); whether one started.
  static bool initiate_key_update(connection& c) { return c.initiate_key_update(); }
  /// Moves `c` to the next connection ID its peer issued, retiring the one
  /// it used (what a migration does, without one); false with no spare.
  static bool rotate_peer_id(connection& c) { return c.ids_.rotate_peer(); }
  /// Spare IDs of its peer `c` holds (besides the one it sends to).
  static std::size_t spare_peer_ids(const connection& c) noexcept { return c.ids_.spare_peer(); }
  /// The peer's ID `c` sends to.
  static wire::connection_id peer_id(const connection& c) noexcept { return c.ids_.peer(); }
  /// The 1-RTT key generation `c` sends with.
  static std::uint64_t key_generation(const connection& c) noexcept { return c.key_generation(); }
  /// A 1-RTT packet from `c` to its peer holding `frames`, numbered with
  /// c's next packet number and sealed under c's current send key, with
  /// `first_byte_bits` set in the first byte before protection (reserved
  /// bits, which tern itself never sets): a peer with valid keys breaking
  /// the header rules. Empty if `c` has no 1-RTT keys yet.
  static std::vector<std::byte> forge_one_rtt_packet(connection& c, std::span<const std::byte> frames,
                                                     std::uint8_t first_byte_bits) {
    if (!c.keys_.has_one_rtt_keys()) return {};
    const std::uint64_t pn = c.sender_.next_packet_number();
    const wire::packet_header h = c.packet_header_for(wire::packet_type::one_rtt, pn);
    std::vector<std::byte> packet(wire::encoded_header_size(h, 0) + frames.size() + crypto::aead_tag_length);
    wire::writer w(packet);
    if (wire::encode_header(w, h, 0) || w.write_bytes(frames)) return {};
    const std::size_t header_len = wire::encoded_header_size(h, 0);
    packet[0] |= std::byte{first_byte_bits};
    if (c.keys_.seal(false, pn, packet, header_len, header_len - wire::packet_number_length)) return {};
    return packet;
  }
  /// The connection's recovery sender, to compare what stats() reports with
  /// the congestion controller's own figures.
  static const recovery::sender& sender(const connection& c) noexcept { return c.sender_; }
};

} // namespace tern::core
