// The bottleneck's rate from busy ACKs (busy_ack_rate.hpp).

#include "congestion/busy_ack_rate.hpp"

namespace tern::cc {

namespace {
/// The least spacing between kept span starts: with it, the points of the
/// last span_max, the one just before it and the newest fit in the ring.
duration keep_step(const busy_ack_rate_config& config) noexcept {
  return config.span_max / static_cast<duration::rep>(busy_ack_rate::capacity - 2);
}
} // namespace

void busy_ack_rate::clear() noexcept {
  head_ = 0;
  size_ = 0;
  acks_ = 0;
}

void busy_ack_rate::pop_front() noexcept {
  head_ = (head_ + 1) % capacity;
  --size_;
}

void busy_ack_rate::push_back(const point& p) noexcept {
  if (size_ == capacity) pop_front(); // only reachable with span_max too short for the step
  ring_[(head_ + size_) % capacity] = p;
  ++size_;
}

void busy_ack_rate::on_ack(time_point now, duration queueing, std::uint64_t delivered) {
  if (queueing < config_.busy_queue || (size_ != 0 && delivered < last_delivered_)) {
    clear();
    rate_ = 0;
    return;
  }
  ++acks_;
  last_delivered_ = delivered;
  // Keep the oldest point that still leaves span_max covered.
  while (size_ > 2 && now - at(1).at >= config_.span_max) pop_front();
  if (size_ == 0 || now - at(size_ - 1).at >= keep_step(config_)) push_back({now, delivered, acks_});
  const point& first = front();
  const duration span = now - first.at;
  if (span < config_.span_min || acks_ - first.ack_index < config_.acks_min) {
    rate_ = 0;
    return;
  }
  const double seconds = std::chrono::duration<double>(span).count();
  rate_ = static_cast<std::uint64_t>(static_cast<double>(delivered - first.delivered) / seconds);
}

} // namespace tern::cc
