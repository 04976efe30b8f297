#include "core/half_open_budget.hpp"

#include <algorithm>

namespace tern::core {

half_open_budget::source_key half_open_budget::key_of(const address& a) noexcept {
  source_key k{};
  k[0] = static_cast<std::uint8_t>(a.family);
  std::copy(a.ip.begin(), a.ip.end(), k.begin() + 1);
  return k;
}

std::size_t half_open_budget::key_hash::operator()(const source_key& k) const noexcept {
  // FNV-1a. A peer picks its source address, but the table only holds
  // sources with a handshake in progress (at most max_half_open entries),
  // so a crafted collision chain is bounded by that too.
  std::uint64_t h = 1469598103934665603ull;
  for (const std::uint8_t b : k) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

std::size_t half_open_budget::from(const address& source) const {
  const auto it = per_source_.find(key_of(source));
  return it == per_source_.end() ? 0 : it->second.size();
}

void half_open_budget::add(const address& source, connection_handle handle) {
  per_source_[key_of(source)].push_back(handle);
  ++total_;
}

void half_open_budget::release(const address& source, connection_handle handle) noexcept {
  const auto it = per_source_.find(key_of(source));
  if (it == per_source_.end()) return;
  auto& handles = it->second;
  const auto h = std::find(handles.begin(), handles.end(), handle);
  if (h == handles.end()) return;
  handles.erase(h);
  if (handles.empty()) per_source_.erase(it);
  --total_;
}

void half_open_budget::note_unanswered(const address& source, time_point now, duration for_how_long) {
  // Expired records first, then the oldest while over the bound.
  while (!unanswered_order_.empty() &&
         (unanswered_order_.front().second <= now || unanswered_.size() >= max_unanswered_sources)) {
    const auto& [key, until] = unanswered_order_.front();
    if (const auto it = unanswered_.find(key); it != unanswered_.end() && it->second == until) unanswered_.erase(it);
    unanswered_order_.pop_front();
  }
  const time_point until = now + for_how_long;
  unanswered_[key_of(source)] = until;
  unanswered_order_.emplace_back(key_of(source), until);
}

bool half_open_budget::unanswered(const address& source, time_point now) const {
  const auto it = unanswered_.find(key_of(source));
  return it != unanswered_.end() && it->second > now;
}

connection_handle half_open_budget::displaceable(std::size_t holds) const noexcept {
  const std::vector<connection_handle>* busiest = nullptr;
  for (const auto& [key, handles] : per_source_)
    if (busiest == nullptr || handles.size() > busiest->size()) busiest = &handles;
  if (busiest == nullptr || busiest->size() < holds + 2) return 0;
  return busiest->front();
}

} // namespace tern::core
