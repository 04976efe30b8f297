#pragma once

// What a connection reports to a qlog trace (docs/observability.md): one
// virtual call per event, made only when an observer is attached, so a
// connection without one pays a single null check per event.
//
// The events and their vocabulary follow the qlog QUIC event definitions
// (draft-ietf-quic-qlog-quic-events-03, qlog 0.3): transport:packet_sent and
// packet_received, recovery:packet_lost, metrics_updated and
// congestion_state_updated, security:key_updated and
// connectivity:connection_state_updated. The observer sees plain values
// and the packet's decoded frames; it never reaches back into the
// connection.

#include "wire/frames.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::qlog {

enum class packet_type : std::uint8_t { initial, handshake, one_rtt, zero_rtt };

struct packet_info {
  packet_type type = packet_type::one_rtt;
  std::uint64_t number = 0;
  /// Bytes of the protected packet (header, payload and AEAD tag).
  std::size_t length = 0;
  /// The packet's frames, decoded from its plaintext. Data-bearing frames'
  /// spans are only valid for their size: on the send side the bytes were
  /// encrypted in place afterwards.
  std::span<const wire::frame> frames;
};

/// Why the loss detector gave a packet up (RFC 9002 §6.1).
enum class loss_trigger : std::uint8_t { reordering_threshold, time_threshold, pto_expired };

/// The recovery state qlog plots: RTTs before the first sample are zero.
struct recovery_metrics {
  duration min_rtt{0};
  duration smoothed_rtt{0};
  duration latest_rtt{0};
  duration rtt_variance{0};
  std::uint64_t congestion_window = 0; ///< bytes
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t pacing_rate = 0; ///< bytes per second (written as bits per second)
  bool operator==(const recovery_metrics&) const = default;
};

/// qlog's ConnectionState, in the order a connection goes through them.
enum class connection_state : std::uint8_t {
  attempted,           ///< client: Initial sent, nothing heard yet
  handshake_started,   ///< packets of the peer arrived
  handshake_complete,  ///< TLS finished on this side
  handshake_confirmed, ///< the handshake is confirmed (established)
  closing,
  draining,
  closed,
};

enum class key_type : std::uint8_t { client_1rtt_secret, server_1rtt_secret };
enum class key_trigger : std::uint8_t { tls, local_update, remote_update };

/// Receives a connection's events in time order. Implementations must not
/// throw: they run on the packet path.
class observer {
public:
  virtual ~observer() = default;
  virtual void packet_sent(time_point now, const packet_info& p) = 0;
  virtual void packet_received(time_point now, const packet_info& p) = 0;
  /// `number` of a packet earlier reported with packet_sent.
  virtual void packet_lost(time_point now, std::uint64_t number, loss_trigger why) = 0;
  /// The current values, reported after every call into the connection:
  /// the observer writes only what changed.
  virtual void metrics_updated(time_point now, const recovery_metrics& m) = 0;
  /// The controller's state name (e.g. "startup", "probe_bw"), reported as
  /// for metrics_updated.
  virtual void congestion_state_updated(time_point now, std::string_view state) = 0;
  virtual void key_updated(time_point now, key_type key, std::uint64_t generation, key_trigger why) = 0;
  /// Reported as for metrics_updated; the observer writes transitions.
  virtual void connection_state_updated(time_point now, connection_state state) = 0;
  /// A packet that never arrived was rebuilt from REPAIR frames and its
  /// frames processed (docs/fec.md). Observers that do not care ignore it.
  virtual void packet_recovered(time_point now, const packet_info& p) {
    (void)now;
    (void)p;
  }
};

} // namespace tern::qlog
