#include "stream/send_scheduler.hpp"

#include <algorithm>

namespace tern::stream {

void send_scheduler::schedule(stream_id id, std::uint8_t urgency) {
  urgency = std::min(urgency, lowest_urgency);
  auto [it, inserted] = level_of_.try_emplace(id, urgency);
  if (!inserted) {
    if (it->second == urgency) return;
    remove_from_level(id, it->second);
    it->second = urgency;
  }
  levels_[urgency].push_back(id);
}

void send_scheduler::unschedule(stream_id id) {
  auto it = level_of_.find(id);
  if (it == level_of_.end()) return;
  remove_from_level(id, it->second);
  level_of_.erase(it);
}

void send_scheduler::remove_from_level(stream_id id, std::uint8_t level) {
  auto& q = levels_[level];
  // The stream is usually at the front (it just sent), so search from there.
  if (auto it = std::find(q.begin(), q.end(), id); it != q.end()) q.erase(it);
}

std::optional<stream_id> send_scheduler::peek() const noexcept {
  for (const auto& q : levels_)
    if (!q.empty()) return q.front();
  return std::nullopt;
}

void send_scheduler::on_sent(stream_id id, bool still_ready) {
  auto it = level_of_.find(id);
  if (it == level_of_.end()) return;
  auto& q = levels_[it->second];
  if (!still_ready) {
    remove_from_level(id, it->second);
    level_of_.erase(it);
    return;
  }
  if (!q.empty() && q.front() == id) {
    q.pop_front();
  } else {
    remove_from_level(id, it->second);
  }
  q.push_back(id);
}

} // namespace tern::stream
