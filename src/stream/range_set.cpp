// Ranges in a std::map keyed by their first offset (balanced tree): finding
// where a range goes is O(log n), and merging never shifts the others, where
// the sorted vector this replaced moved every later range on each
// out-of-order insert (quadratic for one-byte pieces in descending order).
// Ranges that change their first offset keep their node (extract and
// re-insert with a hint), so filling holes downwards does not allocate.
#include "stream/range_set.hpp"

#include <algorithm>

namespace tern::stream {

range_set::map_type::iterator range_set::first_reaching(std::uint64_t offset) noexcept {
  auto it = ranges_.upper_bound(offset);
  if (it != ranges_.begin() && std::prev(it)->second >= offset) --it;
  return it;
}

range_set::map_type::const_iterator range_set::first_reaching(std::uint64_t offset) const noexcept {
  auto it = ranges_.upper_bound(offset);
  if (it != ranges_.begin() && std::prev(it)->second >= offset) --it;
  return it;
}

range_set::map_type::const_iterator range_set::holding(std::uint64_t offset) const noexcept {
  auto it = ranges_.upper_bound(offset);
  if (it == ranges_.begin()) return ranges_.end();
  --it;
  return it->second > offset ? it : ranges_.end();
}

range_set::range_set(range_set&& other) noexcept
    : ranges_{std::move(other.ranges_)}, total_{other.total_}, max_ranges_{other.max_ranges_},
      shared_{other.shared_} {
  other.ranges_.clear(); // the nodes, and their share of the budget, moved here
  other.total_ = 0;
}

range_set& range_set::operator=(range_set&& other) noexcept {
  if (this == &other) return *this;
  clear();
  ranges_ = std::move(other.ranges_);
  total_ = other.total_;
  max_ranges_ = other.max_ranges_;
  shared_ = other.shared_;
  other.ranges_.clear();
  other.total_ = 0;
  return *this;
}

bool range_set::fits(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (end <= begin || room_for_one_more()) return true;
  const auto first = first_reaching(begin);
  return first != ranges_.end() && first->first <= end; // merges with one held
}

std::optional<std::uint64_t> range_set::try_insert(std::uint64_t begin, std::uint64_t end) {
  const std::size_t before = ranges_.size();
  const auto added = insert_unaccounted(begin, end);
  account(before);
  return added;
}

std::optional<std::uint64_t> range_set::insert_unaccounted(std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return 0;
  const auto first = first_reaching(begin);
  auto last = first;
  std::uint64_t already = 0, merged_end = end;
  while (last != ranges_.end() && last->first <= end) {
    const std::uint64_t lo = std::max(last->first, begin), hi = std::min(last->second, end);
    if (hi > lo) already += hi - lo;
    merged_end = std::max(merged_end, last->second);
    ++last;
  }
  if (first == last) {
    if (!room_for_one_more()) return std::nullopt;
    ranges_.emplace_hint(last, begin, end);
    total_ += end - begin;
    return end - begin;
  }
  const std::uint64_t added = (end - begin) - already;
  total_ += added;
  if (first->first <= begin) {
    first->second = merged_end;
    ranges_.erase(std::next(first), last);
    return added;
  }
  // The merged range starts lower: its key changes, so move the node.
  const auto after_first = std::next(first);
  auto node = ranges_.extract(first);
  ranges_.erase(after_first, last);
  node.key() = begin;
  node.mapped() = merged_end;
  ranges_.insert(last, std::move(node));
  return added;
}

std::uint64_t range_set::erase(std::uint64_t begin, std::uint64_t end) {
  const std::size_t before = ranges_.size();
  const auto removed = erase_unaccounted(begin, end);
  account(before);
  return removed;
}

std::uint64_t range_set::erase_unaccounted(std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return 0;
  // First range that ends after `begin`.
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin() && std::prev(it)->second > begin) --it;
  std::uint64_t removed = 0;
  while (it != ranges_.end() && it->first < end) {
    const std::uint64_t lo = std::max(it->first, begin), hi = std::min(it->second, end);
    removed += hi - lo;
    if (it->first < begin && it->second > end) { // split in two
      const std::uint64_t tail_end = it->second;
      it->second = begin;
      ranges_.emplace_hint(std::next(it), end, tail_end);
      break;
    }
    if (it->first < begin) {
      it->second = begin;
      ++it;
    } else if (it->second > end) { // keep the tail: its key changes
      auto node = ranges_.extract(it++);
      node.key() = end;
      ranges_.insert(it, std::move(node));
      break;
    } else {
      it = ranges_.erase(it);
    }
  }
  total_ -= removed;
  return removed;
}

void range_set::erase_held_by(const range_set& other, std::uint64_t begin, std::uint64_t end) {
  for (auto it = other.first_reaching(begin); it != other.ranges_.end() && it->first < end; ++it)
    erase(std::max(it->first, begin), std::min(it->second, end));
}

bool range_set::contains(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (end <= begin) return true;
  const auto it = holding(begin);
  return it != ranges_.end() && it->second >= end;
}

bool range_set::intersects(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (end <= begin) return false;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin() && std::prev(it)->second > begin) return true;
  return it != ranges_.end() && it->first < end;
}

std::uint64_t range_set::contiguous_end(std::uint64_t offset) const noexcept {
  const auto it = holding(offset);
  return it != ranges_.end() ? it->second : offset;
}

} // namespace tern::stream
