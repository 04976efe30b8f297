// Receive-side ACK state, RFC 9000 §13.2.
//
// Received packet numbers are kept as ascending disjoint ranges. Packets
// normally arrive in order, so the common case extends the last range in
// O(1); a late packet is placed by binary search and may merge two ranges.
// Because retransmissions use new packet numbers, a lost packet leaves a
// permanent hole: ranges are never filled in, only forgotten from the bottom
// when more than max_tracked_ranges accumulate. A floor then rejects
// anything at or below what was forgotten, so a late duplicate is never
// processed twice (§13.2.3). Ranges the peer has seen acknowledged (the
// packet carrying that ACK was acknowledged) are no longer reported, but
// they are still remembered: a packet that arrives below them after all
// (a reordering link let newer ones overtake it by more than the time the
// ACK of the ACK took) is accepted and reported again. Refusing it, as a
// floor at the acknowledged ACK would, turned every packet a reordered
// ACK-of-ACK overtook into a loss: on a 100 Mbit/s link with 50 ms of
// delay, 3% reordering, up to 500 packets each time.
//
// ACK timing (§13.2.1–13.2.2): every second ack-eliciting packet, at most
// max_ack_delay after the first unacknowledged one, and at once when an
// ack-eliciting packet arrives out of order or after a gap (it helps the
// sender's loss detection) or carries a CE mark.

#include "recovery/ack_tracker.hpp"

#include <algorithm>

namespace tern::recovery {

ack_tracker::ack_tracker(const ack_tracker_config& config) : config_{config} {
  config_.max_tracked_ranges = std::max<std::size_t>(config_.max_tracked_ranges, 1);
}

bool ack_tracker::contains(std::uint64_t pn) const noexcept {
  if (pn < floor_) return true;
  // First range whose largest is >= pn.
  const auto it = std::lower_bound(ranges_.begin(), ranges_.end(), pn,
                                   [](const ack_range& r, std::uint64_t v) { return r.largest < v; });
  return it != ranges_.end() && it->smallest <= pn;
}

bool ack_tracker::on_packet_received(std::uint64_t pn, bool ack_eliciting, time_point now, ecn_mark ecn) {
  if (pn < floor_) return false;
  const bool below_reported = pn < reported_floor_;
  bool out_of_order = false;
  if (ranges_.empty() || pn > ranges_.back().largest + 1) {
    ranges_.push_back({pn, pn});
  } else if (pn == ranges_.back().largest + 1) {
    ranges_.back().largest = pn;
  } else {
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), pn,
                               [](const ack_range& r, std::uint64_t v) { return r.largest < v; });
    if (it != ranges_.end() && it->smallest <= pn) return false; // duplicate
    out_of_order = true;
    // `it` is the first range above pn. Extend it downwards, extend the one
    // below upwards, merge both, or insert a new range between them.
    const bool joins_above = it != ranges_.end() && it->smallest == pn + 1;
    const bool joins_below = it != ranges_.begin() && std::prev(it)->largest + 1 == pn;
    if (joins_above && joins_below) {
      std::prev(it)->largest = it->largest;
      ranges_.erase(it);
    } else if (joins_above) {
      it->smallest = pn;
    } else if (joins_below) {
      std::prev(it)->largest = pn;
    } else {
      ranges_.insert(it, ack_range{pn, pn});
    }
  }
  if (ranges_.size() > config_.max_tracked_ranges) {
    floor_ = ranges_.front().largest + 1;
    ranges_.erase(ranges_.begin());
  }
  // A late arrival below what the peer has seen acknowledged: report it.
  if (below_reported) reported_floor_ = std::max(floor_, pn);

  const bool gap =
      ack_eliciting && any_ack_eliciting_ && pn > largest_ack_eliciting_ + 1 && !contains(pn - 1);
  if (!any_ || pn > largest_) {
    largest_ = pn;
    largest_time_ = now;
  }
  any_ = true;
  ++unacked_packets_;
  if (ecn != ecn_mark::not_ect) {
    ecn_seen_ = true;
    if (ecn == ecn_mark::ect0) ++ecn_.ect0;
    if (ecn == ecn_mark::ect1) ++ecn_.ect1;
    if (ecn == ecn_mark::ce) ++ecn_.ce;
  }
  if (!ack_eliciting) return true;

  const bool reordered = out_of_order || (any_ack_eliciting_ && pn < largest_ack_eliciting_);
  if (!any_ack_eliciting_ || pn > largest_ack_eliciting_) largest_ack_eliciting_ = pn;
  any_ack_eliciting_ = true;
  ++unacked_ack_eliciting_;
  if (reordered || gap || ecn == ecn_mark::ce || unacked_ack_eliciting_ >= config_.ack_eliciting_threshold) {
    deadline_ = std::min(deadline_, now);
  } else if (deadline_ == never) {
    deadline_ = now + config_.max_ack_delay;
  }
  return true;
}

bool ack_tracker::build_ack(time_point now, ack_info& out) {
  out.clear();
  if (ranges_.empty()) return false;
  for (auto it = ranges_.rbegin(); it != ranges_.rend() && it->largest >= reported_floor_; ++it)
    if (!out.push_back({std::max(it->smallest, reported_floor_), it->largest})) break;
  if (out.size() == 0) return false;
  out.ack_delay = now > largest_time_ ? now - largest_time_ : duration::zero();
  out.has_ecn = ecn_seen_;
  out.ecn = ecn_;
  unacked_packets_ = 0;
  unacked_ack_eliciting_ = 0;
  deadline_ = never;
  return true;
}

void ack_tracker::on_ack_acknowledged(std::uint64_t largest) {
  reported_floor_ = std::max(reported_floor_, largest + 1);
}

} // namespace tern::recovery
