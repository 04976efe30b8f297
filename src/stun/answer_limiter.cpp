#include "stun/answer_limiter.hpp"

#include <algorithm>

namespace tern::stun {

answer_limiter::answer_limiter(answer_limit limit) noexcept
    : limit_(limit),
      period_(limit.per_second == 0 ? duration::max()
                                    : std::chrono::duration_cast<duration>(std::chrono::seconds{1}) / limit.per_second) {
  // Starts full: the first requests after opening are answered at once.
  credit_ = limit_.per_second == 0 ? duration::zero() : period_ * limit_.burst;
}

bool answer_limiter::allow(time_point now) noexcept {
  if (limit_.per_second == 0 || limit_.burst == 0) return false;
  const duration cap = period_ * limit_.burst;
  if (started_ && now > last_) credit_ = std::min(cap, credit_ + (now - last_));
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  if (credit_ < period_) return false;
  credit_ -= period_;
  return true;
}

} // namespace tern::stun
