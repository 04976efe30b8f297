#include "stream/range_set.hpp"

#include <algorithm>

namespace tern::stream {

std::uint64_t range_set::insert(std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return 0;
  // First range that ends at or after `begin` (adjacent ranges merge too).
  auto first = std::lower_bound(ranges_.begin(), ranges_.end(), begin,
                                [](const byte_range& r, std::uint64_t v) { return r.end < v; });
  // Past the last range that starts at or before `end`.
  auto last = first;
  std::uint64_t already = 0;
  while (last != ranges_.end() && last->begin <= end) {
    const std::uint64_t lo = std::max(last->begin, begin), hi = std::min(last->end, end);
    if (hi > lo) already += hi - lo;
    ++last;
  }
  if (first == last) {
    ranges_.insert(first, byte_range{begin, end});
    return end - begin;
  }
  first->begin = std::min(first->begin, begin);
  first->end = std::max((last - 1)->end, end);
  ranges_.erase(first + 1, last);
  return (end - begin) - already;
}

std::uint64_t range_set::erase(std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return 0;
  // First range that ends after `begin`.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), begin,
                             [](std::uint64_t v, const byte_range& r) { return v < r.end; });
  std::uint64_t removed = 0;
  while (it != ranges_.end() && it->begin < end) {
    const std::uint64_t lo = std::max(it->begin, begin), hi = std::min(it->end, end);
    removed += hi - lo;
    if (it->begin < begin && it->end > end) { // split in two
      const byte_range tail{end, it->end};
      it->end = begin;
      ranges_.insert(it + 1, tail);
      return removed;
    }
    if (it->begin < begin) {
      it->end = begin;
      ++it;
    } else if (it->end > end) {
      it->begin = end;
      ++it;
    } else {
      it = ranges_.erase(it);
    }
  }
  return removed;
}

bool range_set::contains(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (end <= begin) return true;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), begin,
                             [](std::uint64_t v, const byte_range& r) { return v < r.end; });
  return it != ranges_.end() && it->begin <= begin && it->end >= end;
}

bool range_set::intersects(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (end <= begin) return false;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), begin,
                             [](std::uint64_t v, const byte_range& r) { return v < r.end; });
  return it != ranges_.end() && it->begin < end;
}

std::uint64_t range_set::contiguous_end(std::uint64_t offset) const noexcept {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), offset,
                             [](std::uint64_t v, const byte_range& r) { return v < r.end; });
  return (it != ranges_.end() && it->begin <= offset) ? it->end : offset;
}

std::uint64_t range_set::total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : ranges_) n += r.size();
  return n;
}

} // namespace tern::stream
