#pragma once

// What a connection reports and delivers, shared by the Asio API
// (tern::connection) and the bring-your-own-I/O API (tern::sans_io): plain
// types with no I/O dependency.

#include <tern/message_flows.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern {

/// What async_receive_message delivers: a whole message, or a notice that
/// `count` consecutive messages of `flow` from `id` were dropped (their
/// deadline passed, the sender gave up, a message they depend on was given
/// up, or memory ran out), in message id order within the flow (a message
/// of an unordered flow comes as soon as it is whole).
struct received_message {
  bool dropped = false;
  std::uint64_t id = 0;
  std::uint64_t count = 1;     ///< dropped messages (1 for a delivery)
  std::vector<std::byte> data; ///< the message (empty for a drop notice)
  std::uint8_t flow = 0;       ///< the message flow (message_options::flow)
  /// Why the first id of a drop notice was dropped (none for a delivery);
  /// `dropped_by_reason` (indexed by message_drop_reason) splits `count`.
  message_drop_reason reason = message_drop_reason::none;
  std::array<std::uint64_t, message_drop_reason_count> dropped_by_reason{};
};

/// For monitoring. Durations are zero before the first RTT sample.
struct connection_stats {
  std::chrono::nanoseconds srtt{0};
  std::chrono::nanoseconds rttvar{0};
  std::chrono::nanoseconds min_rtt{0};
  std::uint64_t cwnd = 0;              ///< bytes
  std::uint64_t pacing_rate = 0;       ///< bytes per second
  /// Bytes per second: the congestion controller's bandwidth estimate (BBR's
  /// bottleneck bandwidth; cwnd/SRTT for CUBIC and NewReno), 0 before it has
  /// one - the rate a media encoder can aim at.
  std::uint64_t delivery_rate = 0;
  /// Bytes per second the application's media can be sent at without
  /// building a queue: the bandwidth estimate and the queueing delay less
  /// headroom for retransmission and repair, smoothed (falls at once, rises
  /// at most doubling per second). 0 before the first acknowledgement. See
  /// docs/congestion.md, "Target rate".
  std::uint64_t target_rate = 0;
  /// Smoothed RTT above the minimum RTT: the queue this side's packets wait in.
  std::chrono::nanoseconds queueing_delay{0};
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_retransmitted = 0;
  std::uint64_t packets_dropped = 0;   ///< undecodable, unauthenticated or duplicate
  std::uint64_t bytes_sent = 0;        ///< UDP payload bytes
  std::uint64_t bytes_received = 0;
  std::uint64_t stream_bytes_sent = 0; ///< new stream data, all streams
  std::uint64_t stream_bytes_received = 0;
  std::uint64_t path_changes = 0;      ///< validated peer address changes
  /// Path MTU discovery (DPLPMTUD): the UDP payload size datagrams have now
  /// (config::initial_datagram_size until a probe proves more), the padded
  /// probes sent and lost, and falls back to the initial size after larger
  /// packets stopped getting through.
  std::size_t datagram_size = 0;       ///< bytes
  std::uint64_t mtu_probes_sent = 0;
  std::uint64_t mtu_probes_lost = 0;
  std::uint64_t mtu_black_holes = 0;
  /// ECN (config::ecn): packets received marked ECT(0) and CE, the CE count
  /// the peer reported for this side's packets, and whether this side still
  /// marks its packets ECT(0) (it stops if the marks prove not to survive
  /// the path).
  std::uint64_t ecn_ect0_received = 0;
  std::uint64_t ecn_ce_received = 0;
  std::uint64_t ecn_ce_reported = 0;
  bool ecn_marking = false;
  /// Forward error correction (config::fec): REPAIR packets and bytes this
  /// side sent, packets it rebuilt from the peer's repair, packets the peer
  /// rebuilt from this side's (its reports), repair bytes per other byte
  /// sent, and the loss rate the peer measures before repair (what the
  /// adaptive mode works from).
  std::uint64_t fec_repair_packets_sent = 0;
  std::uint64_t fec_repair_bytes_sent = 0;
  std::uint64_t fec_packets_recovered = 0;
  std::uint64_t fec_peer_packets_recovered = 0;
  double fec_overhead = 0;
  double fec_path_loss_rate = 0;
  /// Server: message fragments that arrived in 0-RTT packets, before the
  /// handshake (flows the client configured with allow_early, on a
  /// connection whose early data this side accepted; docs/api.md, "Early
  /// messages").
  std::uint64_t early_message_fragments_received = 0;
  /// Server: unreliable datagrams that came in 0-RTT packets, delivered
  /// (config::accept_early_datagrams) or dropped unread (the default).
  std::uint64_t early_datagrams_received = 0;
  std::uint64_t early_datagrams_refused = 0;
};

} // namespace tern
