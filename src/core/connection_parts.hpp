#pragma once

// The parts of core::connection's state that hold no logic of their own, one
// struct per concern (ngtcp2's sub-structs): a reader finds everything about
// the handshake, the tokens, the timers, reception, path MTU probing, the
// counters and the qlog trace in one place each. Parts with logic, or
// that the connection's interface names, have their own headers:
// path_state.hpp, close_state.hpp, ecn_validation.hpp, send_flags.hpp,
// connection_events.hpp.

#include "core/address.hpp"
#include "core/path_mtu.hpp"
#include "crypto/tls_session.hpp"
#include "qlog/observer.hpp"
#include "recovery/sent_packet_map.hpp"
#include "stream/recv_stream.hpp"
#include "stream/send_stream.hpp"
#include "wire/frames.hpp"

#include "util/lazy_deque.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tern::core {

/// The TLS handshake carried in CRYPTO frames, and how far it got.
struct handshake_state {
  /// CRYPTO data either way buffers at most this much.
  static constexpr std::uint64_t crypto_buffer = 256 * 1024;
  /// Disjoint CRYPTO ranges held at most. A handshake flight is a few dozen
  /// packets, so a few lost ones leave a few holes; this is reachable before
  /// any handshake (Initial keys derive from the client's connection ID), so
  /// it is small. More is CRYPTO_BUFFER_EXCEEDED.
  static constexpr std::size_t crypto_max_ranges = 128;

  /// Freed once the handshake is confirmed (1-RTT keys and their updates
  /// come from secrets exported at completion), keeping what the connection
  /// reports later below; a client that keeps tickets frees it once the
  /// server's ticket arrived (connection_resumption.cpp).
  std::unique_ptr<crypto::tls_session> tls;
  /// The agreed ALPN and the peer's SPKI fingerprint, kept when `tls` goes.
  std::string alpn;
  std::optional<crypto::spki_digest> peer_spki;
  /// Client: the session ticket received, kept when `tls` goes (a client
  /// that asked for tickets keeps `tls` until one arrives).
  std::vector<std::byte> ticket;
  /// Client: why the offered ticket was not used (ticket_mismatch,
  /// ticket_invalid); empty when none was offered or it was.
  std::error_code ticket_refused;
  stream::send_stream crypto_send{UINT64_MAX, stream::send_config{1024 * 1024}};
  stream::recv_stream crypto_recv{stream::window_config{crypto_buffer, crypto_buffer}, crypto_max_ranges};
  /// Moves bytes between the TLS session and the crypto streams: one buffer
  /// per thread, not per connection (it holds nothing between calls).
  static std::span<std::byte> scratch() noexcept;
  bool complete = false;        ///< TLS finished on this side
  bool confirmed = false;       ///< server: = complete; client: HANDSHAKE_DONE received
  bool heard_from_peer = false; ///< client: a server packet arrived (Initial -> Handshake packets)
  /// Server: a Handshake packet from the client authenticated, so it got the
  /// server's first flight and did its key exchange.
  bool client_answered = false;
  bool retry_received = false;  ///< client: a Retry was accepted; no other one is
  bool resumed = false;         ///< the TLS handshake resumed a session
  bool certificate_requested = false; ///< client: the server asked for our certificate
  bool reported = false;        ///< the handshake_complete event was emitted
  /// Client: CRYPTO bytes read and dropped after its session was freed (the
  /// server's tickets, when this side keeps none); more than the limit is
  /// an unexpected message.
  std::size_t ignored_after_confirmation = 0;
  static constexpr std::size_t ignored_tickets_limit = 16 * 1024;
  /// Give up when the handshake is not confirmed by then.
  time_point deadline = never;
  /// Client: when to probe a handshake with nothing in flight (the server
  /// may be blocked by its amplification limit, RFC 9002 §6.2.2.1).
  time_point probe_at = never;
};

/// 0-RTT (docs/crypto.md, "Resumption"; connection_resumption.cpp).
struct early_data_state {
  /// 0-RTT packets a client sends at most: bounds `sent` (the protocol's
  /// initial limits, docs/protocol.md §9.2, bound the data in them).
  static constexpr std::size_t max_packets = 512;
  /// Client: one of its 0-RTT packets, forgotten by recovery (no loss) and
  /// its frames queued again at once if the server rejects the early data.
  struct sent_packet {
    std::uint64_t packet_number = 0;
    std::uint64_t cookie = 0;
  };
  std::vector<sent_packet> sent;
  /// Server: the early data was accepted, so 1-RTT keys exist before the
  /// handshake completes (0.5-RTT data to the client).
  bool accepted = false;
  /// Client: the early data was rejected and its packets' frames requeued.
  bool rejected = false;
  /// Client: plain datagrams may go in 0-RTT packets
  /// (resumption_offer::early_datagrams).
  bool datagrams = false;
};

/// Address-validation tokens (docs/protocol.md §9.4).
struct token_state {
  /// Client: the Token field of every Initial - connect()'s NEW_TOKEN token,
  /// replaced by the token of an accepted Retry.
  std::vector<std::byte> initial;
  /// Server: the token to send in NEW_TOKEN (sent again if lost).
  std::vector<std::byte> outgoing;
  /// Client: the token of the last NEW_TOKEN frame received.
  std::vector<std::byte> received;
};

/// When things last happened, for the idle timeout, keepalives, handshake
/// probes and pacing.
struct activity_state {
  time_point last_received{};
  time_point last_sent{};
  time_point last_ack_eliciting_sent{};
  /// An ack-eliciting packet went out since the last packet was received
  /// (the idle timer restarts only on the first one, RFC 9000 §10.1).
  bool ack_eliciting_since_receive = false;
  /// Data waits for the pacer until then.
  time_point pacing_release = never;
};

/// A 1-RTT datagram that arrived before the 1-RTT keys.
struct early_datagram {
  std::vector<std::byte> bytes;
  address from;
};

/// Reception beyond the packet being processed.
struct receive_state {
  /// on_datagram()'s copy of the caller's datagram, reused.
  std::vector<std::byte> buffer;
  /// 1-RTT datagrams kept until the keys exist (max_buffered_early_datagrams).
  util::lazy_deque<early_datagram> early;
  /// The keys arrived while processing a datagram: replay `early` after it.
  bool replay_early_pending = false;
};

/// Path MTU discovery: the search, the one probe in flight (its packet
/// number tells its acknowledgement or loss apart) and the probe timeouts
/// since anything was acknowledged.
struct path_mtu_state {
  pmtud search;
  std::uint64_t probe_packet = recovery::no_packet;
  std::uint32_t silent_timeouts = 0;
};

/// Deadline messages' tail probes: ack-eliciting packets still to send
/// after a message's last fragment (PING-only if nothing else is queued).
struct message_tail_state {
  std::size_t probes_pending = 0;
};

/// Lost packets whose frames wait before being retransmitted because a
/// repair block protects them (docs/fec.md, "Retransmission"): if the
/// receiver rebuilds one, its acknowledgement arrives as a spurious loss
/// and the frames are released instead of sent again.
struct fec_deferred_losses {
  struct entry {
    std::uint64_t number = 0;
    std::uint64_t cookie = 0;
    /// Retransmit once this packet number is acknowledged (the block's
    /// last repair reached the receiver and did not rebuild it) ...
    std::uint64_t horizon = 0;
    /// ... or at this time, whichever comes first.
    time_point release_at{};
  };
  /// More waiting losses than this are retransmitted at once.
  static constexpr std::size_t max_entries = 512;
  std::vector<entry> entries;
  time_point next_release() const noexcept {
    time_point t = never;
    for (const auto& e : entries) t = std::min(t, e.release_at);
    return t;
  }
};

/// Counters stats() reports that no component keeps itself.
struct connection_counters {
  std::uint64_t packets_received = 0;
  std::uint64_t packets_dropped = 0;
  std::uint64_t packets_retransmitted = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t stream_bytes_sent = 0;
  std::uint64_t stream_bytes_retransmitted = 0;
  std::uint64_t stream_bytes_received = 0;
  /// 1-RTT key updates this side started.
  std::uint64_t key_updates = 0;
  /// Validated moves to a new peer address (path_changed events).
  std::uint64_t path_changes = 0;
  /// Server: message fragments that came in 0-RTT packets (early data).
  std::uint64_t early_message_fragments_received = 0;
  std::uint64_t early_datagrams_received = 0; ///< delivered from 0-RTT packets
  std::uint64_t early_datagrams_refused = 0;  ///< dropped: accept_early_datagrams off
};

/// The key generations a qlog trace was last told about.
struct qlog_keys_seen {
  bool installed = false;
  std::uint64_t send = 0;
  std::uint64_t receive = 0;
  std::uint64_t local_updates = 0;
  bool last_local = false;
};

/// The connection's qlog trace, when it has one.
struct qlog_state {
  std::unique_ptr<qlog::observer> observer;
  /// Why the driver's trace factory made no observer.
  std::error_code error;
  /// The frames of the packet being reported, reused.
  std::vector<wire::frame> frames;
  qlog_keys_seen keys;
};

} // namespace tern::core
