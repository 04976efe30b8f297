#pragma once

#include "recovery/ack_ranges.hpp"
#include "recovery/rtt_estimator.hpp"
#include "recovery/sent_packet_map.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace tern::recovery {

/// Fewer than this many packets may be unacknowledged: the receiver expands
/// 16-bit packet numbers relative to the largest it has seen (INTERFACES.md).
inline constexpr std::uint64_t max_unacknowledged_packets = std::uint64_t{1} << 15;
/// loss_detector::packet_threshold() once reordering beyond
/// loss_config::max_packet_threshold switched the packet threshold off.
inline constexpr std::uint64_t no_packet_threshold = UINT64_MAX;

struct loss_config {
  /// RFC 9002 §6.1.1 kPacketThreshold: the starting value.
  std::uint64_t packet_threshold = 3;
  /// Raise the packet threshold to the reordering distance seen whenever a
  /// loss proves spurious (RFC 9002 §6.1.1 allows adaptive thresholds), up
  /// to max_packet_threshold. The time threshold still bounds detection.
  /// A spurious loss that shows a distance beyond max_packet_threshold
  /// switches the packet threshold off (packet_threshold() then returns
  /// no_packet_threshold) and leaves detection to time alone, as RACK
  /// (RFC 8985) does once it has seen reordering: a link that lets packets
  /// overtake a whole delay line would otherwise make every packet in
  /// between a spurious loss.
  bool adaptive_packet_threshold = true;
  std::uint64_t max_packet_threshold = 128;
  /// Likewise for the time threshold: a loss declared by time that proves
  /// spurious adds 1/8 RTT, up to max_time_threshold.
  bool adaptive_time_threshold = true;
  double max_time_threshold = 2.0;
  /// RFC 9002 §6.1.2 kTimeThreshold, in RTTs.
  double time_threshold = 9.0 / 8.0;
  /// RFC 9002 §7.6.1 kPersistentCongestionThreshold, in PTOs.
  std::uint32_t persistent_congestion_threshold = 3;
  /// Packet-number span allowed between the oldest unacknowledged packet and
  /// the next one sent.
  std::uint64_t max_unacknowledged = max_unacknowledged_packets;
  /// Probe packets owed when a PTO fires (RFC 9002 §6.2.4: one or two).
  std::uint32_t probe_packets = 2;
  /// A lost packet is remembered this many base timeouts after being
  /// declared lost, so an ACK arriving for it is recognised as spurious.
  std::uint32_t lost_retention_timeouts = 3;
};

/// What one ACK did. Spans stay valid until the next call on the detector.
struct ack_outcome {
  /// Set when the ACK is malformed or names a packet never sent; nothing
  /// else is then filled in and the detector is unchanged.
  std::error_code error;
  /// Newly acknowledged packets that were outstanding, ascending.
  std::span<const sent_packet> acked;
  /// Packets declared lost earlier that this ACK acknowledges.
  std::span<const sent_packet> spurious;
  /// Packets this ACK revealed as lost, ascending.
  std::span<const sent_packet> lost;
  /// In-flight bytes among `acked` and among `lost`.
  std::uint64_t bytes_acked = 0;
  std::uint64_t bytes_lost = 0;
  /// Bytes in flight before the ACK.
  std::uint64_t prior_in_flight = 0;
  /// Send time of the largest packet in `acked` (valid when non-empty).
  time_point largest_acked_sent_time{};
  /// The ACK produced an RTT sample.
  bool rtt_updated = false;
  /// The newest packet in `acked` arrived ahead of an older packet that is
  /// still outstanding (neither acknowledged nor declared lost before this
  /// ACK): it overtook it, so its RTT may be shorter than the path most
  /// packets take (a reordering link sends some packets past its queue and
  /// delay line). Such a sample must not set a minimum RTT.
  bool newest_acked_overtook = false;
  /// The losses establish persistent congestion (RFC 9002 §7.6).
  bool persistent_congestion = false;
};

/// What a timer expiry did.
struct timeout_outcome {
  /// Packets declared lost by the time threshold.
  std::span<const sent_packet> lost;
  std::uint64_t bytes_lost = 0;
  std::uint64_t prior_in_flight = 0;
  bool persistent_congestion = false;
  /// Ack-eliciting probe packets to send now, regardless of the congestion
  /// window (a PTO fired).
  std::uint32_t probes = 0;
};

/// Sender-side loss detection for one packet-number space (RFC 9002 §6):
/// packet-threshold and time-threshold loss detection on ACKs, the loss
/// timer, probe timeouts with exponential backoff, persistent congestion,
/// spurious-loss recognition, bytes in flight, and the 2^15
/// unacknowledged-packet limit. Packets are identified by number only; what
/// they carried is the owner's business (sent_packet::cookie).
class loss_detector {
public:
  explicit loss_detector(const loss_config& loss = {}, const rtt_config& rtt = {});

  /// Records a sent packet. Numbers must increase. Packets neither
  /// ack-eliciting nor in flight are not tracked (their number may still be
  /// acknowledged). `p.state` is ignored.
  void on_packet_sent(const sent_packet& p);

  /// Processes an ACK received at `now`.
  const ack_outcome& on_ack_received(const ack_info& ack, time_point now);

  /// Forgets packet `pn` without a loss (RFC 9002 §6.4: packets whose keys
  /// were discarded, such as 0-RTT packets the peer refused to open): an
  /// outstanding one leaves bytes in flight; it is never declared lost and
  /// an ACK naming it is ignored. Returns the in-flight bytes it released
  /// (0 for a packet not outstanding: unknown, acknowledged or already
  /// declared lost).
  std::uint64_t discard(std::uint64_t pn) noexcept;

  /// When on_timeout must be called: the earliest time-threshold loss, else
  /// the probe timeout while ack-eliciting packets are in flight, else never.
  [[nodiscard]] time_point timer() const noexcept;

  /// Handles the timer at `now` (a call before timer() does nothing).
  const timeout_outcome& on_timeout(time_point now);

  /// True when a packet numbered `next_packet_number` may be sent: it is
  /// fewer than max_unacknowledged numbers past the largest acknowledged
  /// packet (past -1 before any ACK), and fewer than max_unacknowledged past
  /// the oldest packet neither acknowledged nor declared lost.
  [[nodiscard]] bool packet_window_open(std::uint64_t next_packet_number) const noexcept;

  /// When no sent packet is held any more, frees the sent-packet table if it
  /// grew past its first 16 slots (sent_packet_map::release_if_empty) and the
  /// buffers the outcomes were built in if they grew past 32 packets (they
  /// keep the largest ACK's size otherwise), so an idle connection holds a
  /// few KiB of them at most; the spans of the last outcomes become empty.
  /// Call between events, once their outcomes are no longer used.
  void release_idle_memory() noexcept;

  [[nodiscard]] std::uint64_t bytes_in_flight() const noexcept { return bytes_in_flight_; }
  [[nodiscard]] std::uint64_t ack_eliciting_in_flight() const noexcept { return ack_eliciting_in_flight_; }
  /// Largest packet number acknowledged so far (no_packet before any).
  [[nodiscard]] std::uint64_t largest_acked() const noexcept { return largest_acked_; }
  /// Oldest packet neither acknowledged nor lost (no_packet when none).
  [[nodiscard]] std::uint64_t oldest_unacknowledged() const noexcept { return oldest_outstanding_; }
  [[nodiscard]] const rtt_estimator& rtt() const noexcept { return rtt_; }
  [[nodiscard]] rtt_estimator& rtt() noexcept { return rtt_; }
  [[nodiscard]] const sent_packet_map& packets() const noexcept { return packets_; }
  [[nodiscard]] const loss_config& config() const noexcept { return config_; }
  /// The packet threshold in use (grows with observed reordering;
  /// no_packet_threshold once reordering went beyond its cap).
  [[nodiscard]] std::uint64_t packet_threshold() const noexcept { return packet_threshold_; }
  /// The time threshold in use, in RTTs (grows with observed reordering).
  [[nodiscard]] double time_threshold() const noexcept { return time_threshold_; }

private:
  void detect_lost(time_point now);
  void take_rtt_sample(const ack_info& ack, bool largest_is_new, time_point now);
  void learn_from_spurious(const sent_packet& p) noexcept;
  bool check_persistent_congestion() const;
  void remove_from_flight(const sent_packet& p) noexcept;
  void update_oldest_outstanding() noexcept;
  void retire(time_point now) noexcept;

  loss_config config_;
  rtt_estimator rtt_;
  sent_packet_map packets_;

  std::uint64_t packet_threshold_;
  double time_threshold_;
  std::uint64_t bytes_in_flight_ = 0;
  std::uint64_t ack_eliciting_in_flight_ = 0;
  time_point last_ack_eliciting_sent_{};
  std::uint64_t largest_sent_ = no_packet;
  std::uint64_t largest_acked_ = no_packet;
  std::uint64_t oldest_outstanding_ = no_packet;
  time_point loss_time_ = never;
  time_point first_rtt_sample_time_ = never;

  // Reused output buffers: steady state never allocates; they grow on
  // demand and release_idle_memory() gives them back.
  std::vector<sent_packet> acked_;
  std::vector<sent_packet> spurious_;
  std::vector<sent_packet> lost_;
  ack_outcome ack_out_;
  timeout_outcome timeout_out_;
};

} // namespace tern::recovery
