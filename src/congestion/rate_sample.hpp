#pragma once

#include <tern/time.hpp>

#include <cstdint>

namespace tern::cc {

/// What the sampler remembers about the connection when a packet is sent, and
/// stores with that packet until it is acknowledged or lost
/// (draft-cheng-iccrg-delivery-rate-estimation §3.2, the P.* fields).
struct packet_send_state {
  /// Bytes delivered (acknowledged) on the connection when the packet was sent.
  std::uint64_t delivered = 0;
  /// Bytes declared lost on the connection when the packet was sent.
  std::uint64_t lost = 0;
  /// Bytes in flight right after the packet was sent.
  std::uint64_t tx_in_flight = 0;
  /// When `delivered` last changed before the packet was sent.
  time_point delivered_time{};
  /// Send time of the packet that began the current sampling interval.
  time_point first_sent_time{};
  /// The sender was application-limited when the packet was sent.
  bool is_app_limited = false;
};

/// One delivery-rate sample, built per ACK from the most recently sent
/// packet it acknowledges.
struct rate_sample {
  /// Bytes per second; meaningful only when `valid`.
  std::uint64_t delivery_rate = 0;
  /// Bytes delivered over `interval`.
  std::uint64_t delivered = 0;
  /// Bytes lost over the same interval.
  std::uint64_t lost = 0;
  /// Connection's delivered count when the sampled packet was sent; BBR counts
  /// round trips with it.
  std::uint64_t prior_delivered = 0;
  /// Bytes in flight when the sampled packet was sent.
  std::uint64_t tx_in_flight = 0;
  /// max(send elapsed, ack elapsed): the sampling interval.
  duration interval{0};
  /// RTT of the sampled packet (now minus its send time).
  duration rtt{0};
  /// The sampled packet was sent while application-limited: the rate is a
  /// lower bound only, not a measure of the path.
  bool is_app_limited = false;
  /// Some packet was acknowledged, so the fields above are set.
  bool has_packet = false;
  /// The interval is long enough (≥ min RTT) to trust delivery_rate.
  bool valid = false;
};

} // namespace tern::cc
