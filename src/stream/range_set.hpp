#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern::stream {

/// A half-open byte range [begin, end) of stream or message offsets.
struct byte_range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  constexpr std::uint64_t size() const noexcept { return end - begin; }
  constexpr bool empty() const noexcept { return end <= begin; }
  friend constexpr bool operator==(const byte_range&, const byte_range&) = default;
};

/// A set of byte offsets kept as sorted, disjoint, non-adjacent ranges.
///
/// Used for received data (reassembly), acknowledged and lost data (send
/// side) and message fragments. The ranges live in one vector whose capacity
/// is kept, so steady-state use does not allocate. Operations are O(log n)
/// to find plus O(n) to shift, n being the number of ranges (gaps), which is
/// small in practice.
class range_set {
public:
  using const_iterator = std::vector<byte_range>::const_iterator;

  /// Adds [begin, end); merges with overlapping and adjacent ranges. Empty
  /// ranges are ignored. Returns the number of offsets that were not yet in
  /// the set.
  std::uint64_t insert(std::uint64_t begin, std::uint64_t end);

  /// Removes [begin, end) (splitting a range if needed). Returns the number
  /// of offsets that were in the set.
  std::uint64_t erase(std::uint64_t begin, std::uint64_t end);

  /// Whether every offset of [begin, end) is in the set (true when empty).
  bool contains(std::uint64_t begin, std::uint64_t end) const noexcept;

  /// Whether any offset of [begin, end) is in the set.
  bool intersects(std::uint64_t begin, std::uint64_t end) const noexcept;

  /// The end of the range that starts at or covers `offset`, or `offset`
  /// itself when `offset` is not in the set: how far contiguous data reaches.
  std::uint64_t contiguous_end(std::uint64_t offset) const noexcept;

  bool empty() const noexcept { return ranges_.empty(); }
  std::size_t range_count() const noexcept { return ranges_.size(); }
  /// Total number of offsets in the set.
  std::uint64_t total() const noexcept;
  const byte_range& front() const noexcept { return ranges_.front(); }
  const byte_range& back() const noexcept { return ranges_.back(); }
  const_iterator begin() const noexcept { return ranges_.begin(); }
  const_iterator end() const noexcept { return ranges_.end(); }
  void clear() noexcept { ranges_.clear(); }

private:
  std::vector<byte_range> ranges_;
};

} // namespace tern::stream
