#pragma once

// The ACK description recovery works with: which packet numbers the peer
// acknowledged, as INTERFACES.md defines an ACK frame (inclusive ranges of
// absolute packet numbers, descending, disjoint and non-adjacent, at most
// max_ack_ranges), plus the ack delay and optional ECN counts. It is
// independent of the encoding; the wire codec converts to and from it.

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::recovery {

/// The most ranges one ACK carries.
inline constexpr std::size_t max_ack_ranges = 64;

/// Inclusive range of packet numbers, smallest ≤ largest.
struct ack_range {
  std::uint64_t smallest = 0;
  std::uint64_t largest = 0;
  friend constexpr bool operator==(const ack_range&, const ack_range&) = default;
};

/// ECN counts carried by an ACK (RFC 9000 §19.3.2): totals, not deltas.
struct ecn_counts {
  std::uint64_t ect0 = 0;
  std::uint64_t ect1 = 0;
  std::uint64_t ce = 0;
};

/// One ACK. Fixed capacity: building or copying one never allocates.
class ack_info {
public:
  /// Appends a range below the previous ones. Returns false when the ACK
  /// already holds max_ack_ranges ranges (the range is not added).
  constexpr bool push_back(ack_range r) noexcept {
    if (count_ == max_ack_ranges) return false;
    ranges_[count_++] = r;
    return true;
  }
  constexpr void clear() noexcept {
    count_ = 0;
    ack_delay = duration::zero();
    has_ecn = false;
    ecn = {};
  }

  /// The ranges, ranges()[0].largest being the largest acknowledged.
  [[nodiscard]] constexpr std::span<const ack_range> ranges() const noexcept {
    return {ranges_.data(), count_};
  }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] constexpr std::uint64_t largest() const noexcept {
    return count_ == 0 ? 0 : ranges_[0].largest;
  }

  /// True when the ranges are non-empty, each well formed, descending,
  /// disjoint and non-adjacent.
  [[nodiscard]] constexpr bool valid() const noexcept {
    if (count_ == 0) return false;
    for (std::size_t i = 0; i < count_; ++i) {
      if (ranges_[i].smallest > ranges_[i].largest) return false;
      if (i > 0 && ranges_[i].largest + 1 >= ranges_[i - 1].smallest) return false;
    }
    return true;
  }

  /// Time the peer held the largest acknowledged packet before acknowledging.
  duration ack_delay{0};
  bool has_ecn = false;
  ecn_counts ecn{};

private:
  std::array<ack_range, max_ack_ranges> ranges_{};
  std::size_t count_ = 0;
};

} // namespace tern::recovery
