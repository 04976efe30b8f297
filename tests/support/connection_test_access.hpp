#pragma once

// Test-only access to core::connection (declared a friend in
// src/core/connection.hpp, defined only here): what a test needs to play a
// misbehaving peer, kept out of the production type's interface.

#include "core/connection.hpp"
#include "crypto/aead.hpp"
#include "crypto/key_schedule.hpp"
#include "wire/header.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace tern::core {

struct connection_test_access {
  /// A client and a server connection in the state a completed and
  /// confirmed handshake leaves them, made without TLS: for a fuzzer that
  /// cannot afford a handshake per input (tests/fuzz/connection_fuzz.cpp).
  struct established_pair {
    std::unique_ptr<connection> client;
    std::unique_ptr<connection> server;
  };

  /// Each side gets what connect()/accept() and the handshake would have
  /// given it: its peer's address, its own first connection ID and its
  /// peer's (the client sends to the server's, as after the server's first
  /// Initial), the same 1-RTT secrets crossed (fixed bytes, AES-128-GCM,
  /// each config's key_update), the server's address validated (as by the
  /// client's Handshake packets), the agreed ALPN (each config's first, if
  /// any), then on_handshake_confirmed(): established, long-header keys
  /// gone, connection IDs issued, the handshake_complete event queued. The
  /// client is confirmed at once, as if the server's HANDSHAKE_DONE had
  /// arrived. Unlike after a real handshake, no packet numbers are used
  /// yet, there is no RTT sample, the CRYPTO streams start at offset 0 and
  /// there is no peer certificate (peer_fingerprint() is empty). `rng`
  /// must outlive both.
  static established_pair established(const connection_config& client_config,
                                      const connection_config& server_config, const address& client_address,
                                      const address& server_address, random_source& rng, time_point now) {
    established_pair p;
    p.client.reset(new connection(client_config, crypto::tls_role::client, rng));
    p.server.reset(new connection(server_config, crypto::tls_role::server, rng));
    connection& c = *p.client;
    connection& s = *p.server;
    // connect(): the client's own ID, and the random first DCID (at least
    // 8 bytes) that named the handshake; the server keeps it as the
    // original DCID.
    c.make_connection_id(c.local_initial_cid_);
    std::array<std::byte, 8> original{};
    rng.fill(original);
    (void)wire::connection_id::from_bytes(original, c.original_dcid_);
    s.original_dcid_ = c.original_dcid_;
    s.make_connection_id(s.local_initial_cid_);

    crypto::directional_secrets client_secrets;
    client_secrets.send.fill(std::byte{0xc1});
    client_secrets.receive.fill(std::byte{0x5e});
    const crypto::directional_secrets server_secrets{client_secrets.receive, client_secrets.send};

    settle(c, server_address, s.local_initial_cid_, client_secrets, now);
    settle(s, client_address, c.local_initial_cid_, server_secrets, now);
    return p;
  }

private:
  /// Puts `c` (fresh from the constructor, its own first ID made) in the
  /// established state. Installing fixed secrets cannot fail; if it did,
  /// the test aborts.
  static void settle(connection& c, const address& peer, const wire::connection_id& peer_id,
                     const crypto::directional_secrets& secrets, time_point now) {
    c.path_.peer = peer;
    c.path_.validated = true;
    c.ids_.set_initial_local(c.local_initial_cid_);
    c.ids_.set_initial_peer(peer_id);
    c.activity_.last_received = now;
    c.open_qlog(now);
    c.handshake_.heard_from_peer = true;
    c.handshake_.complete = true;
    if (c.keys_.one_rtt().install(crypto::aead_algorithm::aes_128_gcm, secrets, c.config_.key_update)) std::abort();
    c.keys_.one_rtt().set_old_key_retention(3 * c.pto());
    if (!c.config_.tls.alpn.empty()) c.handshake_.alpn = c.config_.tls.alpn.front();
    c.on_handshake_confirmed(now);
    if (c.qlog_.observer) c.qlog_sync(now);
  }

public:
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
    if (c.keys_.seal(wire::packet_type::one_rtt, pn, packet, header_len, header_len - wire::packet_number_length)) return {};
    return packet;
  }
  /// The connection's recovery sender, to compare what stats() reports with
  /// the congestion controller's own figures.
  static const recovery::sender& sender(const connection& c) noexcept { return c.sender_; }
};

} // namespace tern::core
