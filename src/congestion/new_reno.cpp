#include "congestion/new_reno.hpp"

#include <algorithm>

namespace tern::cc {

std::string_view new_reno::state_name() const noexcept {
  if (in_recovery()) return "recovery";
  return in_slow_start() ? "slow_start" : "congestion_avoidance";
}

void new_reno::grow(const ack_event& e) {
  if (cwnd_ < ssthresh_) {
    cwnd_ += e.bytes_acked;
    return;
  }
  // One datagram per congestion window's worth of acknowledged bytes.
  avoidance_credit_ += e.bytes_acked;
  if (avoidance_credit_ >= cwnd_) {
    const std::uint64_t windows = avoidance_credit_ / cwnd_;
    avoidance_credit_ -= windows * cwnd_;
    cwnd_ += windows * config_.max_datagram_size;
  }
}

void new_reno::reduce(time_point) {
  ssthresh_ = std::max(cwnd_ / 2, minimum_window());
  cwnd_ = ssthresh_;
  avoidance_credit_ = 0;
}

void new_reno::collapse(time_point) {
  cwnd_ = minimum_window();
  avoidance_credit_ = 0;
}

} // namespace tern::cc
