#pragma once

// ACK and ACK_ECN frames (RFC 9000 §19.3 layout). In memory an ACK is a list
// of absolute inclusive ranges, highest first; on the wire it is the largest
// acknowledged number, the first range's length, then (gap, length) pairs
// walking downwards.

#include "wire/errc.hpp"
#include "wire/reader.hpp"
#include "wire/writer.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace tern::wire {

/// Most ranges one ACK frame may carry; a receiver rejects more.
inline constexpr std::size_t max_ack_ranges = 64;

/// Packet numbers smallest..largest, both included (smallest <= largest).
struct ack_range {
  std::uint64_t smallest;
  std::uint64_t largest;
  friend constexpr bool operator==(const ack_range&, const ack_range&) noexcept = default;
};

/// A fixed-capacity list of ack ranges (no heap). Slots beyond size() are
/// never read, so they are not initialised either: creating and copying a
/// list costs what it holds, not its capacity.
class ack_range_list {
public:
  ack_range_list() noexcept {}
  ack_range_list(const ack_range_list& other) noexcept { *this = other; }
  ack_range_list& operator=(const ack_range_list& other) noexcept {
    size_ = other.size_;
    for (std::size_t i = 0; i < size_; ++i) items_[i] = other.items_[i];
    return *this;
  }

  static constexpr std::size_t capacity() noexcept { return max_ack_ranges; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == max_ack_ranges; }
  void clear() noexcept { size_ = 0; }

  /// Appends `r` (the caller keeps the list descending). Returns false, and
  /// changes nothing, when the list is full.
  bool push_back(ack_range r) noexcept {
    if (size_ == max_ack_ranges) return false;
    items_[size_++] = r;
    return true;
  }
  /// Keeps the first `n` ranges (n <= size()).
  void truncate(std::size_t n) noexcept {
    if (n < size_) size_ = n;
  }

  const ack_range& operator[](std::size_t i) const noexcept { return items_[i]; }
  ack_range& operator[](std::size_t i) noexcept { return items_[i]; }
  const ack_range* begin() const noexcept { return items_.data(); }
  const ack_range* end() const noexcept { return items_.data() + size_; }
  std::span<const ack_range> ranges() const noexcept { return {items_.data(), size_}; }

  friend bool operator==(const ack_range_list& a, const ack_range_list& b) noexcept {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < a.size_; ++i)
      if (!(a.items_[i] == b.items_[i])) return false;
    return true;
  }

private:
  std::array<ack_range, max_ack_ranges> items_;
  std::size_t size_ = 0;
};

/// ECN counts (packets received with ECT(0), ECT(1), CE marks).
struct ecn_counts {
  std::uint64_t ect0 = 0;
  std::uint64_t ect1 = 0;
  std::uint64_t ce = 0;
  friend constexpr bool operator==(const ecn_counts&, const ecn_counts&) noexcept = default;
};

/// ACK (type 0x02) or, with `ecn`, ACK_ECN (type 0x03).
struct ack_frame {
  /// Acknowledged packet numbers, highest range first: ranges[0].largest is
  /// the largest acknowledged; ranges are disjoint and non-adjacent (at least
  /// one unacknowledged number between two ranges). At least one range.
  ack_range_list ranges;
  /// Time the receiver held the largest acknowledged packet before sending
  /// this ACK. Microseconds on the wire: rounded down on encode, saturating
  /// at max_duration_micros on decode.
  duration ack_delay{0};
  std::optional<ecn_counts> ecn;

  std::uint64_t largest_acknowledged() const noexcept { return ranges[0].largest; }

  friend bool operator==(const ack_frame&, const ack_frame&) noexcept = default;
};

/// Bytes encode(w, f) writes for `f` (exact for a frame encode accepts).
std::size_t encoded_size(const ack_frame& f) noexcept;

/// Writes `f` with all its ranges. Errors: invalid_ack_ranges (no range, more
/// than max_ack_ranges, a range with smallest > largest, ranges not
/// descending or touching each other); varint_out_of_range (a number above
/// 2^62-1); no_space. Nothing is written on error.
[[nodiscard]] std::error_code encode(writer& w, const ack_frame& f) noexcept;

/// Writes `f` keeping only as many of its highest ranges as fit in
/// w.remaining() bytes, and stores that number in `ranges_written` (at least
/// 1). Lower ranges are left out: the newest information is what the peer
/// needs most. Errors: those of encode; no_space when not even the first
/// range fits (then nothing is written and ranges_written is 0).
[[nodiscard]] std::error_code encode_truncated(writer& w, const ack_frame& f, std::size_t& ranges_written) noexcept;

/// Reads one ACK or ACK_ECN frame, type byte included, into `f`. Errors:
/// truncated; wrong_frame_type (not 0x02/0x03); too_many_ack_ranges (a range
/// count above max_ack_ranges - 1); ack_range_below_zero (a range or gap
/// reaching below packet number 0). `f` is unspecified on error.
[[nodiscard]] std::error_code decode(reader& r, ack_frame& f) noexcept;

namespace detail {
/// decode() after the type byte `type` (0x02 or 0x03) has been consumed.
status decode_ack_body(reader& r, std::uint8_t type, ack_frame& f) noexcept;
} // namespace detail

} // namespace tern::wire
