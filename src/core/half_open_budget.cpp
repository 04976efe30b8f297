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
  return it == per_source_.end() ? 0 : it->second;
}

void half_open_budget::add(const address& source) {
  ++per_source_[key_of(source)];
  ++total_;
}

void half_open_budget::release(const address& source) noexcept {
  const auto it = per_source_.find(key_of(source));
  if (it == per_source_.end()) return;
  if (--it->second == 0) per_source_.erase(it);
  --total_;
}

} // namespace tern::core
