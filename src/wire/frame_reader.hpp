#pragma once

#include "wire/errc.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"
#include "wire/reader.hpp"

#include <cstddef>
#include <span>
#include <system_error>
#include <type_traits>
#include <utility>

namespace tern::wire {

/// Walks the (unprotected) payload of one packet, one frame at a time,
/// checking each frame is allowed in that packet type.
///
///   frame_reader frames{payload, packet_type::one_rtt};
///   frame f;
///   while (!frames.done()) {
///     if (auto ec = frames.next(f)) return ec;  // close the connection
///     ...
///   }
///
/// The first error ends the walk: next() keeps returning it. The frames refer
/// to the payload bytes, which must outlive them.
class frame_reader {
public:
  frame_reader(std::span<const std::byte> payload, packet_type type) noexcept : r_(payload), type_(type) {}

  /// True once every byte of the payload has been decoded into frames (a
  /// packet with no frames at all is never done: next() reports it).
  bool done() const noexcept { return !error_ && count_ > 0 && r_.empty(); }

  /// Frames decoded so far.
  std::size_t count() const noexcept { return count_; }

  /// Offset in the payload of the next frame (of the failing one after an error).
  std::size_t position() const noexcept { return error_ ? frame_start_ : r_.position(); }

  /// Decodes the next frame into `out`. Errors: empty_payload (the payload
  /// has no bytes at all); frame_not_allowed (the frame type may not appear
  /// in this packet type); every error of decode_frame. Calling next() when
  /// done() returns truncated.
  [[nodiscard]] std::error_code next(frame& out) noexcept;

private:
  reader r_;
  packet_type type_;
  std::size_t count_ = 0;
  std::size_t frame_start_ = 0;
  std::error_code error_;
};

/// Calls `on_frame(const frame&)` for every frame of `payload` in order, and
/// returns the first error (see frame_reader::next), or success once all
/// frames have been visited. The visitor may return void, or bool (false
/// stops the walk early with success).
template <class F>
[[nodiscard]] std::error_code for_each_frame(std::span<const std::byte> payload, packet_type type,
                                             F&& on_frame) {
  frame_reader frames{payload, type};
  frame f;
  while (!frames.done()) {
    if (auto ec = frames.next(f)) return ec;
    if constexpr (std::is_same_v<decltype(on_frame(std::as_const(f))), bool>) {
      if (!on_frame(std::as_const(f))) return {};
    } else {
      on_frame(std::as_const(f));
    }
  }
  return {};
}

} // namespace tern::wire
