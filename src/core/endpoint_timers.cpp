#include "core/endpoint_timers.hpp"

namespace tern::core {

void endpoint_timers::set(slot& s, connection_handle h, time_point deadline) {
  if (deadline == never) return clear(s);
  if (s.armed_) {
    if (s.at_->first == deadline) return;
    auto node = queue_.extract(s.at_);
    node.key() = deadline;
    s.at_ = queue_.insert(std::move(node));
    return;
  }
  s.at_ = queue_.emplace(deadline, h);
  s.armed_ = true;
}

void endpoint_timers::clear(slot& s) noexcept {
  if (!s.armed_) return;
  queue_.erase(s.at_);
  s.armed_ = false;
}

connection_handle endpoint_timers::first_due(time_point now) const noexcept {
  if (queue_.empty() || queue_.begin()->first > now) return 0;
  return queue_.begin()->second;
}

} // namespace tern::core
