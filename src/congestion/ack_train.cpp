#include "congestion/ack_train.hpp"

#include <algorithm>
#include <limits>

namespace tern::cc {

void ack_train::on_ack(time_point now, std::uint64_t bytes) noexcept {
  if (acks_++ == 0) {
    first_ = now;
    last_ = now;
    return;
  }
  bytes_after_first_ += bytes;
  const duration gap = std::max(now - last_, duration::zero());
  min_gap_ = std::min(min_gap_, gap);
  max_gap_ = std::max(max_gap_, gap);
  last_ = std::max(last_, now);
}

double ack_train::gap_ratio() const noexcept {
  if (acks_ < 3) return 1.0;
  if (min_gap_ <= duration::zero()) return std::numeric_limits<double>::infinity();
  return static_cast<double>(max_gap_.count()) / static_cast<double>(min_gap_.count());
}

std::optional<std::uint64_t> ack_train::rate(std::uint64_t min_acks) const noexcept {
  if (acks_ < std::max<std::uint64_t>(min_acks, 2) || span() <= duration::zero() || bytes_after_first_ == 0)
    return std::nullopt;
  const double seconds = static_cast<double>(span().count()) * 1e-9;
  return static_cast<std::uint64_t>(static_cast<double>(bytes_after_first_) / seconds);
}

} // namespace tern::cc
