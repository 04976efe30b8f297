#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <optional>

namespace tern::stream {

/// A half-open byte range [begin, end) of stream or message offsets.
struct byte_range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  constexpr std::uint64_t size() const noexcept { return end - begin; }
  constexpr bool empty() const noexcept { return end <= begin; }
  friend constexpr bool operator==(const byte_range&, const byte_range&) = default;
};

/// A cap on the ranges held by several sets together (all the receiving
/// streams of a connection): each set's own cap bounds one stream, this
/// bounds what a peer gets by leaving holes in every stream it may open.
/// Must outlive the sets that draw on it.
class range_budget {
public:
  explicit range_budget(std::size_t limit) noexcept : limit_{limit} {}
  range_budget(const range_budget&) = delete;
  range_budget& operator=(const range_budget&) = delete;
  std::size_t held() const noexcept { return held_; }
  std::size_t limit() const noexcept { return limit_; }
  bool exhausted() const noexcept { return held_ >= limit_; }

private:
  friend class range_set;
  std::size_t held_ = 0;
  std::size_t limit_;
};

/// A set of byte offsets kept as sorted, disjoint, non-adjacent ranges.
///
/// Used for received data (reassembly), acknowledged and lost data (send
/// side) and message fragments. Every operation is O(log n) in the number n
/// of ranges held, plus O(1) amortised per range it merges or removes (each
/// range is created once and removed once), so any arrival order costs
/// O(log n) per insert: a peer that sends one-byte pieces in the worst order
/// cannot make reassembly quadratic.
///
/// A set can be given a cap on the number of disjoint ranges it holds: where
/// the peer decides the ranges (reassembly), that cap is what bounds the
/// memory of the holes it can leave, independently of the bytes they hold.
class range_set {
public:
  /// No cap: for sets whose ranges this side decides (what it sent).
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  /// Iterates the ranges in increasing order, yielding byte_range values.
  class const_iterator {
  public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = byte_range;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = byte_range;

    const_iterator() = default;
    byte_range operator*() const noexcept { return {it_->first, it_->second}; }
    const_iterator& operator++() noexcept {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) noexcept { return const_iterator{it_++}; }
    const_iterator& operator--() noexcept {
      --it_;
      return *this;
    }
    const_iterator operator--(int) noexcept { return const_iterator{it_--}; }
    friend bool operator==(const const_iterator&, const const_iterator&) = default;

  private:
    friend class range_set;
    using base = std::map<std::uint64_t, std::uint64_t>::const_iterator;
    explicit const_iterator(base it) : it_{it} {}
    base it_;
  };

  /// `max_ranges`: the most disjoint ranges insert() may leave in the set
  /// (at least 1); see try_insert(). `shared`, when given, is a second cap
  /// this set draws on with others.
  explicit range_set(std::size_t max_ranges = unbounded, range_budget* shared = nullptr) noexcept
      : max_ranges_{max_ranges ? max_ranges : 1}, shared_{shared} {}
  range_set(const range_set&) = delete;
  range_set& operator=(const range_set&) = delete;
  range_set(range_set&& other) noexcept;
  range_set& operator=(range_set&& other) noexcept;
  ~range_set() { clear(); }

  /// Adds [begin, end); merges with overlapping and adjacent ranges. Empty
  /// ranges are ignored. Returns the number of offsets that were not yet in
  /// the set, or nullopt, leaving the set unchanged, when [begin, end) would
  /// be a new disjoint range and the set already holds max_ranges() (or the
  /// shared budget is exhausted).
  std::optional<std::uint64_t> try_insert(std::uint64_t begin, std::uint64_t end);

  /// try_insert() for a set whose cap the caller has checked with fits() or
  /// that has none: returns the new offsets (0 if refused, which the caller
  /// ruled out).
  std::uint64_t insert(std::uint64_t begin, std::uint64_t end) { return try_insert(begin, end).value_or(0); }

  /// Whether try_insert(begin, end) would succeed (O(log n), no change).
  bool fits(std::uint64_t begin, std::uint64_t end) const noexcept;

  /// Removes [begin, end) (splitting a range if needed). Returns the number
  /// of offsets that were in the set. A split may leave max_ranges() + 1
  /// ranges: erase is never refused, and the capped sets only erase prefixes.
  std::uint64_t erase(std::uint64_t begin, std::uint64_t end);

  /// Removes the offsets of [begin, end) that `other` holds. O((k + 1) log n)
  /// for the k ranges of `other` that overlap [begin, end), never a walk of
  /// `other` from its start: the send side subtracts what was acknowledged
  /// from each lost range, and a peer that acknowledges every other packet
  /// must not make each loss cost a pass over everything acknowledged.
  void erase_held_by(const range_set& other, std::uint64_t begin, std::uint64_t end);

  /// Whether every offset of [begin, end) is in the set (true when empty).
  bool contains(std::uint64_t begin, std::uint64_t end) const noexcept;

  /// Whether any offset of [begin, end) is in the set.
  bool intersects(std::uint64_t begin, std::uint64_t end) const noexcept;

  /// The end of the range that starts at or covers `offset`, or `offset`
  /// itself when `offset` is not in the set: how far contiguous data reaches.
  std::uint64_t contiguous_end(std::uint64_t offset) const noexcept;

  bool empty() const noexcept { return ranges_.empty(); }
  std::size_t range_count() const noexcept { return ranges_.size(); }
  std::size_t max_ranges() const noexcept { return max_ranges_; }
  /// Total number of offsets in the set (O(1)).
  std::uint64_t total() const noexcept { return total_; }
  /// The lowest and highest range; the set must not be empty.
  byte_range front() const noexcept { return *begin(); }
  byte_range back() const noexcept { return *std::prev(end()); }
  const_iterator begin() const noexcept { return const_iterator{ranges_.begin()}; }
  const_iterator end() const noexcept { return const_iterator{ranges_.end()}; }
  void clear() noexcept {
    if (shared_) shared_->held_ -= ranges_.size();
    ranges_.clear();
    total_ = 0;
  }

private:
  using map_type = std::map<std::uint64_t, std::uint64_t>; // begin -> end

  /// The first range that ends at or after `offset` (so touches or follows it).
  map_type::iterator first_reaching(std::uint64_t offset) noexcept;
  map_type::const_iterator first_reaching(std::uint64_t offset) const noexcept;
  /// The range holding `offset`, or end().
  map_type::const_iterator holding(std::uint64_t offset) const noexcept;
  std::optional<std::uint64_t> insert_unaccounted(std::uint64_t begin, std::uint64_t end);
  std::uint64_t erase_unaccounted(std::uint64_t begin, std::uint64_t end);
  /// Whether a new disjoint range is allowed by both caps.
  bool room_for_one_more() const noexcept {
    return ranges_.size() < max_ranges_ && (shared_ == nullptr || !shared_->exhausted());
  }
  /// Tells the shared budget how the range count moved since `before`.
  void account(std::size_t before) noexcept {
    if (shared_) shared_->held_ = shared_->held_ + ranges_.size() - before;
  }

  map_type ranges_;
  std::uint64_t total_ = 0;
  std::size_t max_ranges_;
  range_budget* shared_;
};

} // namespace tern::stream
