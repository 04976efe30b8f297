// The bottleneck's rate from busy ACKs (busy_ack_rate.hpp).

#include "congestion/busy_ack_rate.hpp"

namespace tern::cc {

void busy_ack_rate::on_ack(time_point now, duration queueing, std::uint64_t delivered) {
  if (queueing < config_.busy_queue || (!span_.empty() && delivered < span_.back().delivered)) {
    span_.clear();
    rate_ = 0;
    return;
  }
  span_.push_back({now, delivered});
  // Keep the oldest point that still leaves span_max covered.
  while (span_.size() > 2 && now - span_[1].at >= config_.span_max) span_.pop_front();
  const auto& first = span_.front();
  const duration span = now - first.at;
  if (span < config_.span_min || span_.size() < config_.acks_min + 1u) {
    rate_ = 0;
    return;
  }
  const double seconds = std::chrono::duration<double>(span).count();
  rate_ = static_cast<std::uint64_t>(static_cast<double>(delivered - first.delivered) / seconds);
}

} // namespace tern::cc
