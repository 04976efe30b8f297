// Loss detection, RFC 9002 §6 and Appendix A.
//
// ACK-based detection: once a packet is acknowledged, an earlier outstanding
// packet is lost when it is kPacketThreshold (3) numbers behind the largest
// acknowledged, or was sent more than 9/8 · max(SRTT, latest RTT) ago. Both
// tests are monotone in the packet number (numbers and send times grow
// together), so the scan runs upward from the oldest pending packet and stops
// at the first survivor, whose time threshold arms the loss timer.
//
// Probe timeout: while ack-eliciting packets are in flight and no loss timer
// is armed, the timer is the last ack-eliciting send time plus the RTT
// estimator's timeout, which doubles per consecutive expiry. An expiry
// declares nothing lost; it asks the sender for probe packets that elicit an
// ACK. Any ACK of new data resets the backoff.
//
// Persistent congestion (§7.6): among the packets one event declares lost,
// two ack-eliciting ones sent after the first RTT sample, spanning more than
// 3 · (SRTT + max(4·RTTVAR, granularity) + max_ack_delay), with nothing
// acknowledged between them.
//
// Spurious loss: a lost packet stays in the table for a few timeouts. An ACK
// for it is reported separately, so the controller can undo its reaction,
// and the packet threshold grows to the reordering distance it revealed (or
// the time threshold by 1/8 RTT when time declared it lost). A distance
// beyond the packet threshold's cap turns it off: time alone decides, as in
// RACK (RFC 8985) once reordering is seen.
//
// RTT samples: from the largest acknowledged when it is new (RFC 9002
// §5.1), otherwise from the newest newly acknowledged packet; none when that
// packet overtook an older one still outstanding and is shorter than the
// in-order minimum (a reordering link's shortcut, not the path's RTT).
// The data it carried was already sent again in a new packet: packet
// numbers are never reused, so RTT samples are never ambiguous.

#include "recovery/loss_detector.hpp"

#include "recovery/errc.hpp"

#include <algorithm>

namespace tern::recovery {

namespace {
/// The sent-packet table's first allocation: a handshake flight fits, and it
/// doubles from there (a half-open connection should stay small).
constexpr std::size_t initial_packet_slots = 16;
} // namespace

loss_detector::loss_detector(const loss_config& loss, const rtt_config& rtt)
    : config_{loss}, rtt_{rtt}, packets_{initial_packet_slots}, packet_threshold_{loss.packet_threshold},
      time_threshold_{loss.time_threshold} {}

void loss_detector::release_idle_memory() noexcept {
  if (!packets_.release_if_empty() && !packets_.empty()) return;
  // Small ones stay: bursts that each end empty would otherwise regrow them
  // every time. Large ones are what a bulk transfer left.
  constexpr std::size_t keep = 32;
  auto release = [](std::vector<sent_packet>& v) {
    if (v.capacity() > keep) std::vector<sent_packet>().swap(v);
  };
  release(acked_);
  release(spurious_);
  release(lost_);
  ack_out_.acked = ack_out_.spurious = ack_out_.lost = {};
  timeout_out_.lost = {};
}

void loss_detector::on_packet_sent(const sent_packet& p) {
  largest_sent_ = largest_sent_ == no_packet ? p.packet_number : std::max(largest_sent_, p.packet_number);
  if (!p.ack_eliciting && !p.in_flight) return;
  sent_packet& stored = packets_.record(p);
  stored.state = packet_state::outstanding;
  if (p.in_flight) {
    bytes_in_flight_ += p.bytes;
    if (p.ack_eliciting) {
      ++ack_eliciting_in_flight_;
      last_ack_eliciting_sent_ = p.time_sent;
    }
  }
  if (oldest_outstanding_ == no_packet) oldest_outstanding_ = p.packet_number;
}

void loss_detector::remove_from_flight(const sent_packet& p) noexcept {
  if (!p.in_flight) return;
  bytes_in_flight_ -= std::min<std::uint64_t>(bytes_in_flight_, p.bytes);
  if (p.ack_eliciting && ack_eliciting_in_flight_ > 0) --ack_eliciting_in_flight_;
}

std::uint64_t loss_detector::discard(std::uint64_t pn) noexcept {
  sent_packet* p = packets_.find(pn);
  if (p == nullptr || p->state != packet_state::outstanding) return 0;
  const std::uint64_t released = p->in_flight ? p->bytes : 0;
  remove_from_flight(*p);
  packets_.forget(*p);
  // A loss timer armed for it finds nothing lost and disarms; the PTO stops
  // once nothing ack-eliciting is left in flight.
  if (oldest_outstanding_ == pn) update_oldest_outstanding();
  return released;
}

const ack_outcome& loss_detector::on_ack_received(const ack_info& ack, time_point now) {
  ack_out_ = ack_outcome{};
  acked_.clear();
  spurious_.clear();
  lost_.clear();
  if (!ack.valid()) {
    ack_out_.error = make_error_code(recovery_errc::invalid_ack_ranges);
    return ack_out_;
  }
  if (largest_sent_ == no_packet || ack.largest() > largest_sent_) {
    ack_out_.error = make_error_code(recovery_errc::ack_of_unsent_packet);
    return ack_out_;
  }
  ack_out_.prior_in_flight = bytes_in_flight_;
  const bool largest_is_new = largest_acked_ == no_packet || ack.largest() > largest_acked_;
  if (largest_is_new) largest_acked_ = ack.largest();

  // Ranges come descending; walk them upward so the outputs are ascending.
  const auto ranges = ack.ranges();
  for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
    for (std::uint64_t pn = packets_.next_pending(r->smallest);
         pn <= r->largest && pn < packets_.next_packet_number(); pn = packets_.next_pending(pn + 1)) {
      sent_packet* p = packets_.find(pn);
      if (p == nullptr) continue;
      if (p->state == packet_state::outstanding) {
        remove_from_flight(*p);
        packets_.mark_acked(*p);
        acked_.push_back(*p);
        if (p->in_flight) ack_out_.bytes_acked += p->bytes;
      } else if (p->state == packet_state::lost) {
        packets_.mark_acked(*p);
        spurious_.push_back(*p);
        learn_from_spurious(*p);
      }
    }
  }
  ack_out_.acked = acked_;
  ack_out_.spurious = spurious_;
  if (acked_.empty() && spurious_.empty()) return ack_out_;

  if (!acked_.empty()) {
    ack_out_.largest_acked_sent_time = acked_.back().time_sent;
    take_rtt_sample(ack, largest_is_new, now);
    rtt_.on_progress();
  }

  detect_lost(now);
  ack_out_.lost = lost_;
  for (const auto& p : lost_)
    if (p.in_flight) ack_out_.bytes_lost += p.bytes;
  ack_out_.persistent_congestion = check_persistent_congestion();
  update_oldest_outstanding();
  retire(now);
  return ack_out_;
}

void loss_detector::learn_from_spurious(const sent_packet& p) noexcept {
  // It was only reordered or delayed: be more patient next time.
  const std::uint64_t distance = p.largest_acked_when_lost - p.packet_number + 1;
  const bool by_time = distance <= packet_threshold_;
  if (config_.adaptive_packet_threshold && distance > packet_threshold_)
    packet_threshold_ = distance > std::max(config_.max_packet_threshold, config_.packet_threshold)
                            ? no_packet_threshold
                            : distance;
  if (config_.adaptive_time_threshold && by_time)
    time_threshold_ = std::min(time_threshold_ + 0.125, std::max(config_.max_time_threshold, config_.time_threshold));
}

void loss_detector::take_rtt_sample(const ack_info& ack, bool largest_is_new, time_point now) {
  const sent_packet& newest = acked_.back();
  // Did the newest acknowledged packet overtake an older one still
  // outstanding? Loss detection has not run yet, so a hole is outstanding
  // whether it turns out lost or only late.
  update_oldest_outstanding();
  ack_out_.newest_acked_overtook = oldest_outstanding_ != no_packet && oldest_outstanding_ < newest.packet_number;
  const bool any_eliciting =
      std::any_of(acked_.begin(), acked_.end(), [](const sent_packet& p) { return p.ack_eliciting; });
  if (!any_eliciting) return;
  // RFC 9002 §5.1 samples only when the largest acknowledged is new (and
  // then from it). On a reordering path the largest is nearly always an
  // early arrival, and the packets it overtook are acknowledged later,
  // below it: they would give no sample at all. So an ACK whose largest was
  // acknowledged before gives one from the newest newly acknowledged packet,
  // without the peer's ack delay (measured for the largest; an ACK that
  // fills a hole leaves at once anyway).
  if (largest_is_new && newest.packet_number != ack.largest()) return;
  // A packet that overtook older ones may have taken a shortcut (a
  // reordering link sends some packets past its delay line): the
  // estimator takes its RTT for SRTT only when it is no shorter than the
  // in-order minimum.
  const bool had_sample = rtt_.has_sample();
  ack_out_.rtt_updated =
      rtt_.on_sample(now - newest.time_sent, largest_is_new ? ack.ack_delay : duration::zero(),
                     ack_out_.newest_acked_overtook ? rtt_sample_order::overtaking : rtt_sample_order::in_order);
  if (!had_sample && ack_out_.rtt_updated) first_rtt_sample_time_ = now;
}

void loss_detector::detect_lost(time_point now) {
  loss_time_ = never;
  if (largest_acked_ == no_packet) return;
  const duration rtt = std::max(rtt_.latest_rtt(), rtt_.smoothed_rtt());
  const auto delay_ns = static_cast<double>(rtt.count()) * time_threshold_;
  const duration loss_delay =
      std::max(duration{static_cast<duration::rep>(delay_ns)}, rtt_.config().granularity);
  const time_point lost_send_time = now - loss_delay;

  // Every lost packet precedes every outstanding one (a packet is only
  // declared lost together with all outstanding packets before it), so the
  // scan starts at the oldest outstanding packet and never revisits the lost
  // ones kept for spurious-loss detection.
  update_oldest_outstanding();
  if (oldest_outstanding_ == no_packet) return;
  for (std::uint64_t pn = oldest_outstanding_; pn < largest_acked_ && pn < packets_.next_packet_number();
       pn = packets_.next_pending(pn + 1)) {
    sent_packet* p = packets_.find(pn);
    if (p == nullptr || p->state != packet_state::outstanding) continue;
    const bool by_number = packet_threshold_ != no_packet_threshold && largest_acked_ >= pn + packet_threshold_;
    if (p->time_sent <= lost_send_time || by_number) {
      remove_from_flight(*p);
      packets_.mark_lost(*p, now);
      p->largest_acked_when_lost = largest_acked_;
      lost_.push_back(*p);
      continue;
    }
    // Later packets were sent later and are closer to the largest acked:
    // none of them is lost yet either.
    loss_time_ = p->time_sent + loss_delay;
    break;
  }
}

bool loss_detector::check_persistent_congestion() const {
  if (lost_.size() < 2 || !rtt_.has_sample()) return false;
  const duration span = rtt_.persistent_congestion_duration(config_.persistent_congestion_threshold);
  const sent_packet* run_start = nullptr;
  const sent_packet* prev = nullptr;
  for (const auto& p : lost_) {
    if (!p.ack_eliciting || p.time_sent <= first_rtt_sample_time_) continue;
    if (prev != nullptr) {
      // The run breaks when anything between the two was acknowledged.
      for (std::uint64_t pn = prev->packet_number + 1; pn < p.packet_number; ++pn) {
        const sent_packet* between = packets_.find(pn);
        if (between != nullptr && between->state == packet_state::acked) {
          run_start = nullptr;
          break;
        }
      }
    }
    if (run_start == nullptr) run_start = &p;
    if (p.time_sent - run_start->time_sent > span) return true;
    prev = &p;
  }
  return false;
}

void loss_detector::update_oldest_outstanding() noexcept {
  std::uint64_t pn = packets_.next_pending(oldest_outstanding_ == no_packet ? packets_.first_packet_number()
                                                                            : oldest_outstanding_);
  while (pn < packets_.next_packet_number()) {
    const sent_packet* p = packets_.find(pn);
    if (p != nullptr && p->state == packet_state::outstanding) {
      oldest_outstanding_ = pn;
      return;
    }
    pn = packets_.next_pending(pn + 1);
  }
  oldest_outstanding_ = no_packet;
}

void loss_detector::retire(time_point now) noexcept {
  const duration keep = rtt_.base_timeout() * config_.lost_retention_timeouts;
  packets_.retire(now - keep);
}

time_point loss_detector::timer() const noexcept {
  if (loss_time_ != never) return loss_time_;
  if (ack_eliciting_in_flight_ == 0) return never;
  return last_ack_eliciting_sent_ + rtt_.timeout();
}

const timeout_outcome& loss_detector::on_timeout(time_point now) {
  timeout_out_ = timeout_outcome{};
  lost_.clear();
  if (now < timer()) return timeout_out_;
  if (loss_time_ != never) {
    timeout_out_.prior_in_flight = bytes_in_flight_;
    detect_lost(now);
    timeout_out_.lost = lost_;
    for (const auto& p : lost_)
      if (p.in_flight) timeout_out_.bytes_lost += p.bytes;
    timeout_out_.persistent_congestion = check_persistent_congestion();
    update_oldest_outstanding();
    retire(now);
    return timeout_out_;
  }
  rtt_.on_timeout();
  timeout_out_.probes = config_.probe_packets;
  return timeout_out_;
}

bool loss_detector::packet_window_open(std::uint64_t next_packet_number) const noexcept {
  // Fewer than max_unacknowledged numbers past the largest acknowledged
  // (RFC 9000 §17.1: what the receiver's 16-bit expansion needs; before any
  // ACK, past -1)...
  const std::uint64_t base = largest_acked_ == no_packet ? 0 : largest_acked_ + 1;
  if (next_packet_number >= base && next_packet_number - base + 1 >= config_.max_unacknowledged) return false;
  // ...and fewer than max_unacknowledged from the oldest packet neither
  // acknowledged nor declared lost (INTERFACES.md).
  if (oldest_outstanding_ == no_packet || next_packet_number < oldest_outstanding_) return true;
  return next_packet_number - oldest_outstanding_ < config_.max_unacknowledged;
}

} // namespace tern::recovery
