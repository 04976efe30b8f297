#pragma once

#include "stream/stream_id.hpp"

#include "util/lazy_deque.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

namespace tern::stream {

/// Stream priority: urgency 0 (most urgent) to 7, as RFC 9218; 3 is the
/// default.
inline constexpr std::uint8_t lowest_urgency = 7;
inline constexpr std::uint8_t default_urgency = 3;

/// Picks which stream sends next. Streams with data to send wait in one
/// FIFO per urgency level; the lowest non-empty level is always served
/// first, and within a level streams take turns (round robin, one chunk per
/// turn), so a stream with a lot of data never holds up the others of its
/// level: there is no head-of-line blocking between streams.
///
/// The scheduler only knows stream ids: the owner tells it which streams are
/// ready and, after each chunk, whether the stream still is.
class send_scheduler {
public:
  /// Marks `id` ready at `urgency` (clamped to 0-7). A stream already queued
  /// keeps its turn unless its urgency changed, in which case it moves to
  /// the back of the new level.
  void schedule(stream_id id, std::uint8_t urgency);

  /// Removes `id` (no-op when not queued).
  void unschedule(stream_id id);

  /// The stream whose turn it is, or nothing when none is ready.
  std::optional<stream_id> peek() const noexcept;

  /// The first ready stream, in the order peek() would serve them, that
  /// `eligible(id)` accepts (a 0-RTT packet takes only the streams the
  /// application allowed early), or nothing. Linear in the ready streams.
  template <class Eligible>
  std::optional<stream_id> peek_if(Eligible&& eligible) const {
    for (const auto& q : levels_)
      for (std::size_t i = 0; i < q.size(); ++i)
        if (eligible(q[i])) return q[i];
    return std::nullopt;
  }

  /// `id` (normally peek()'s) sent a chunk: if `still_ready`, it goes to the
  /// back of its level so the next stream of the level goes next; otherwise
  /// it leaves the scheduler.
  void on_sent(stream_id id, bool still_ready);

  bool is_scheduled(stream_id id) const noexcept { return level_of_.contains(id); }
  bool empty() const noexcept { return level_of_.empty(); }
  std::size_t size() const noexcept { return level_of_.size(); }

private:
  void remove_from_level(stream_id id, std::uint8_t level);

  std::array<util::lazy_deque<stream_id>, lowest_urgency + 1> levels_;
  std::unordered_map<stream_id, std::uint8_t> level_of_;
};

} // namespace tern::stream
