#pragma once

#include "fec/repair_policy.hpp"
#include "congestion/controller.hpp"
#include "congestion/target_rate.hpp"
#include "crypto/key_update.hpp"
#include "crypto/tls_session.hpp"
#include "qlog/trace_factory.hpp"
#include "stream/datagram_queue.hpp"
#include "stream/flow_control.hpp"
#include "stream/message_receiver.hpp"
#include "stream/message_sender.hpp"

#include <tern/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tern::core {

/// Protocol constants of tern version 1 that stand in for transport
/// parameters (docs/protocol.md §9.2): every connection starts with these
/// limits on both sides, and larger ones are granted with MAX_DATA,
/// MAX_STREAM_DATA and MAX_STREAMS frames once the handshake completes.
namespace initial_limits {
inline constexpr std::uint64_t max_data = 384 * 1024;        ///< bytes, per connection
inline constexpr std::uint64_t max_stream_data = 256 * 1024; ///< bytes, per stream, every stream type
inline constexpr std::uint64_t max_streams_bidi = 100;       ///< streams the peer may open
inline constexpr std::uint64_t max_streams_uni = 100;
/// The longest either side delays an acknowledgement.
inline constexpr duration max_ack_delay = std::chrono::milliseconds(25);
/// Largest DATAGRAM payload (or message fragment data) accepted, bytes.
inline constexpr std::size_t max_datagram_frame_size = 65535;
} // namespace initial_limits

/// Every knob of a connection, with the defaults a media application wants.
struct connection_config {
  /// TLS: identity (required on a server), peer verification (a CA or pinned
  /// SPKI fingerprints; required on a client), server name, client
  /// certificates, ALPN, and the cipher suites allowed for 1-RTT packets
  /// (AES-128-GCM first by default; put chacha20_poly1305 first to prefer it).
  crypto::tls_config tls;

  /// Close silently after this long without receiving anything
  /// (RFC 9000 §10.1); never less than 3 PTOs in effect.
  duration idle_timeout = std::chrono::seconds(30);
  /// Send a PING after this long without sending an ack-eliciting packet, to
  /// keep NAT bindings and the idle timer alive; zero disables.
  duration keepalive_interval = std::chrono::seconds(10);
  /// Give up on a handshake not complete after this long.
  duration handshake_timeout = std::chrono::seconds(10);
  /// How long this side may delay an ACK; at most initial_limits::max_ack_delay,
  /// which is what the peer assumes.
  duration max_ack_delay = initial_limits::max_ack_delay;

  /// Congestion control and pacing.
  cc::algorithm congestion = cc::algorithm::bbr;
  bool pacing = true;
  /// Size of the UDP payloads this side sends, bytes (at least 1200): every
  /// datagram until path MTU discovery proves more.
  std::size_t max_datagram_size = 1200;
  /// DPLPMTUD (RFC 8899, core/path_mtu.hpp): once the handshake is confirmed,
  /// padded probes raise the datagram size one acknowledged probe at a time,
  /// up to this many UDP payload bytes. At or below max_datagram_size (the
  /// default) the connection never probes.
  std::size_t max_probed_datagram_size = 0;
  /// Mark 1-RTT datagrams ECT(0) (RFC 9000 §13.4), for a driver that writes
  /// transmit::ect0 to the socket and passes received codepoints to
  /// on_datagram. Marking stops for good when the peer's ACKs show the marks
  /// do not survive the path. Received codepoints are counted and reported
  /// in ACK frames whatever this says.
  bool ecn = false;

  /// Receive windows: the initial values are fixed by the protocol
  /// (initial_limits); `max` bounds auto-tuning and so memory per stream and
  /// per connection.
  std::uint64_t max_stream_window = 16 * 1024 * 1024;
  std::uint64_t max_connection_window = 24 * 1024 * 1024;
  /// The windows granted as soon as the peer can use them (one MAX_DATA
  /// after the handshake, one MAX_STREAM_DATA when a stream is first seen),
  /// before auto-tuning takes over: a sender that reaches full rate in its
  /// second round trip (BBR's jump start) needs a bandwidth-delay product
  /// of credit by then. The default covers 100 Mbit/s at 200 ms with room
  /// for loss recovery; it is also what a peer can make a reader that never
  /// reads buffer, per stream and per connection.
  std::uint64_t initial_stream_window = 4 * 1024 * 1024;
  std::uint64_t initial_connection_window = 6 * 1024 * 1024;
  /// Bytes an application may have written to one stream and not yet had
  /// acknowledged, at least. The buffer grows beyond this to four times the
  /// congestion window (what a long fat path needs in flight plus the data
  /// held back by retransmissions awaiting their ack), up to
  /// max_stream_send_buffer, so memory per stream stays bounded.
  std::size_t stream_send_buffer = 1024 * 1024;
  std::size_t max_stream_send_buffer = 16 * 1024 * 1024;

  /// Deadline messages and datagrams.
  /// Ack-eliciting packets sent right after the last fragment of each
  /// deadline message (PINGs when nothing else is queued), so a lost tail is
  /// detected by packet threshold one RTT after sending rather than by the
  /// time threshold or the next message: a few dozen bytes per message. Zero
  /// disables. Three matches the packet-reordering threshold.
  std::size_t message_tail_probes = 3;
  /// Bytes by which packets carrying only deadline messages may exceed the
  /// congestion window (counted in flight, paced as
  /// message_paced_after_loss says): what lets the first frames of a
  /// media stream go before the window has grown. Zero disables.
  std::size_t message_cwnd_allowance = 48 * 1200;
  /// Deadline start-up (docs/streams.md, "Deadline start-up"): bytes by
  /// which packets carrying only deadline messages may exceed the congestion
  /// window beyond message_cwnd_allowance, in start-up and only until the
  /// connection's first loss. Zero disables.
  std::size_t message_lossless_allowance = 20 * 1200;
  /// Deadline start-up: until the first loss, the initial window's worth of
  /// deadline-message packets leaves as one burst (RFC 9002 §7.7 allows a
  /// burst of the initial window) instead of paced over the handshake's
  /// round trip.
  bool message_first_window_burst = true;
  /// Deadline start-up: packets the allowances above let past the
  /// congestion window still wait for the pacer once a loss was seen.
  /// Unpaced, on a path thinner than the stream they refilled its queue
  /// every round trip (docs/streams.md, "Deadline
  /// start-up"). false: not paced (to measure the difference).
  bool message_paced_after_loss = true;
  stream::message_sender_config message_sender{};
  stream::message_receiver_config message_receiver{};
  stream::datagram_queue_config datagram_send{};
  stream::datagram_queue_config datagram_receive{};
  stream::overflow_policy datagram_overflow = stream::overflow_policy::drop_oldest;
  /// Server that accepts early data: deliver plain datagrams that came in
  /// 0-RTT packets (replayable, like all early data). Off: they are dropped
  /// unread and counted
  /// (early_datagrams_refused); message fragments and stream data in 0-RTT
  /// are unaffected.
  bool accept_early_datagrams = false;
  /// Forward error correction of deadline messages (docs/fec.md): off,
  /// adaptive (repair follows the loss the peer reports; none on a clean
  /// path) or a fixed ratio of repair symbols per source packet.
  fec::repair_policy_config fec{};

  /// Media rate (docs/congestion.md, "Target rate"): how the target rate is
  /// derived, and the fraction of the last reported value it must move by
  /// before a target_rate_changed event.
  cc::target_rate_config target_rate{};
  double target_rate_change = 0.1;
  /// Real-time media: queueing delay counts as a congestion signal, so the
  /// controller keeps the standing queue small (cc::delay_bound).
  bool real_time = false;
  /// After a fast cut of the target rate, hold all but datagrams until the
  /// bottleneck's queue has drained (cc::drain_guard; docs/media-rate.md).
  bool drain_guard = true;

  /// Length of the connection IDs this side issues, bytes (1 to 20; an
  /// endpoint uses one length for all its connections).
  std::size_t connection_id_length = 8;
  /// Connection IDs this side keeps issued to the peer at once (the first
  /// plus spares for migration).
  std::size_t active_connection_ids = 4;

  /// Key update policy and AEAD limits (defaults: update at half the
  /// confidentiality limit).
  crypto::key_update_config key_update{};

  /// 1-RTT datagrams kept while 1-RTT keys are not yet available (they are
  /// processed once the handshake completes).
  std::size_t max_buffered_early_datagrams = 8;

  /// Where the connection's qlog trace goes (docs/observability.md): asked
  /// once, when the connection starts, for the observer of a trace named
  /// by original Destination Connection ID and role. The core never opens
  /// files itself: a driver with a qlog directory installs a
  /// qlog::trace_directory (qlog/trace_writer.hpp). Null: no trace, and no
  /// cost beyond one null check per event.
  std::shared_ptr<qlog::trace_factory> qlog;
};

} // namespace tern::core
