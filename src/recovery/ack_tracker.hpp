#pragma once

#include "recovery/ack_ranges.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <vector>

namespace tern::recovery {

/// ECN codepoint a packet arrived with.
enum class ecn_mark : std::uint8_t { not_ect, ect0, ect1, ce };

struct ack_tracker_config {
  /// Acknowledge after this many ack-eliciting packets (RFC 9000 §13.2.2: 2).
  std::uint64_t ack_eliciting_threshold = 2;
  /// Our max_ack_delay: an ack-eliciting packet is acknowledged within it.
  duration max_ack_delay = std::chrono::milliseconds(25);
  /// Ranges kept at most. Beyond it the oldest range is forgotten and packets
  /// at or below it are refused as duplicates from then on. Memory grows
  /// with the ranges held and shrinks back once they are forgotten (an idle
  /// connection holds one range).
  std::size_t max_tracked_ranges = 512;
};

/// The receiver's record of which packet numbers arrived, and when an ACK
/// is owed (RFC 9000 §13.2). Packets are acknowledged after every second
/// ack-eliciting packet or max_ack_delay after the first unacknowledged one,
/// and immediately when one arrives out of order, leaves a gap, or is
/// CE-marked. Ranges at or below the largest acknowledged of an ACK that the
/// peer is known to have received are no longer reported (§13.2.4), but
/// remembered (up to max_tracked_ranges) so a packet arriving late below
/// them is accepted, not refused as a duplicate.
class ack_tracker {
public:
  explicit ack_tracker(const ack_tracker_config& config = {});

  /// Records a received packet. Returns false, and changes nothing, for a
  /// duplicate or for a packet below the forgotten floor: the caller must not
  /// process it again.
  bool on_packet_received(std::uint64_t packet_number, bool ack_eliciting, time_point now,
                          ecn_mark ecn = ecn_mark::not_ect);

  /// True when `packet_number` was received (or is below the floor).
  [[nodiscard]] bool contains(std::uint64_t packet_number) const noexcept;

  /// Packets arrived that no ACK sent so far covers.
  [[nodiscard]] bool has_unacknowledged() const noexcept { return unacked_packets_ > 0; }
  /// When the pending ACK must be sent: `never` when no ack-eliciting packet
  /// awaits acknowledgement; the arrival time of the triggering packet when
  /// an immediate ACK is owed.
  [[nodiscard]] time_point ack_deadline() const noexcept { return deadline_; }
  /// ack_deadline() <= now.
  [[nodiscard]] bool ack_due(time_point now) const noexcept { return deadline_ <= now; }

  /// Writes an ACK of everything tracked into `out`: the newest ranges first,
  /// at most max_ack_ranges (older ones left out when they do not fit), and
  /// the ack delay (now minus the arrival of the largest packet). Resets the
  /// pending-ACK state. Returns false, leaving `out` empty, when nothing was
  /// ever received.
  bool build_ack(time_point now, ack_info& out);

  /// An ACK whose largest acknowledged was `largest` reached the peer (the
  /// packet carrying it was acknowledged): stop reporting ranges at or below
  /// it, until a packet arrives late below it.
  void on_ack_acknowledged(std::uint64_t largest);

  /// Largest packet number received (meaningful when any was).
  [[nodiscard]] std::uint64_t largest_received() const noexcept { return largest_; }
  [[nodiscard]] bool any_received() const noexcept { return any_; }
  /// Packets below this number are refused.
  [[nodiscard]] std::uint64_t floor() const noexcept { return floor_; }
  /// ACKs report only ranges reaching this number or above.
  [[nodiscard]] std::uint64_t reported_floor() const noexcept { return reported_floor_; }
  [[nodiscard]] std::size_t range_count() const noexcept { return ranges_.size(); }
  [[nodiscard]] const ecn_counts& ecn() const noexcept { return ecn_; }

private:
  ack_tracker_config config_;
  /// Ascending by packet number, disjoint and non-adjacent.
  std::vector<ack_range> ranges_;
  std::uint64_t floor_ = 0;
  std::uint64_t reported_floor_ = 0;
  std::uint64_t largest_ = 0;
  time_point largest_time_{};
  std::uint64_t largest_ack_eliciting_ = 0;
  bool any_ = false;
  bool any_ack_eliciting_ = false;
  std::uint64_t unacked_packets_ = 0;
  std::uint64_t unacked_ack_eliciting_ = 0;
  time_point deadline_ = never;
  ecn_counts ecn_{};
  bool ecn_seen_ = false;
};

} // namespace tern::recovery
