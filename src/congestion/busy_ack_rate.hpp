#pragma once

// The bottleneck's rate, read from the ACK clock while its queue is busy.
// While packets wait at the bottleneck it sends at exactly its rate, so the
// ACKs come back at that rate: bytes newly delivered over the last few tens
// of milliseconds of ACKs, all of which showed a queue, are what the path
// carries now. Unlike a delivery-rate sample (which spans a round trip and
// mixes the old rate with the new for one RTT after a change), this shows a
// rate drop within a round trip plus `span_min` of it taking effect: the
// first ACK whose packet queued behind the slower link starts the span.
// Without a queue the ACKs only show what the sender sent, so no figure.
//
// Used by real-time mode (delay_bound.hpp) to cut the window the moment the
// path slows, before the standing-queue filter (1.5 min RTTs) has seen it.
//
// The span lives in a fixed ring (no allocation on the ACK path, memory
// independent of the ACK rate): an ACK is kept as a possible span start only
// if it came at least span_max / (capacity - 2) after the last one kept
// (1.9 ms with the defaults). Every ACK still ends a span exactly (its own
// time and bytes); only the span's start is coarser, so the span reaches back
// span_max to span_max + that step (plus one ACK gap) instead of span_max plus
// one ACK gap: the rate is exact over a span up to 3 % longer.

#include <tern/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tern::cc {

struct busy_ack_rate_config {
  /// An ACK whose packet queued at least this long (RTT sample less ack
  /// delay, less the minimum RTT) shows the bottleneck busy.
  duration busy_queue = std::chrono::milliseconds(4);
  /// The rate is measured over at least span_min of busy ACKs and at most
  /// the last span_max of them.
  duration span_min = std::chrono::milliseconds(15);
  duration span_max = std::chrono::milliseconds(60);
  /// ...and over at least this many ACKs after the first.
  std::uint32_t acks_min = 2;
};

class busy_ack_rate {
public:
  explicit busy_ack_rate(const busy_ack_rate_config& config = {}) noexcept : config_{config} {}

  /// One ACK at `now`: its packet's queueing delay (RTT sample less ack
  /// delay and the min RTT) and the connection's total delivered bytes
  /// after it. A non-busy ACK ends the span.
  void on_ack(time_point now, duration queueing, std::uint64_t delivered);

  /// Bytes per second the bottleneck delivers, 0 when the last ACKs do not
  /// show it busy for long enough.
  [[nodiscard]] std::uint64_t rate() const noexcept { return rate_; }

  /// Span starts kept at most: the ring's size, whatever the ACK rate.
  static constexpr std::size_t capacity = 34;
  /// Span starts held now (at most `capacity`).
  [[nodiscard]] std::size_t points_held() const noexcept { return size_; }

private:
  struct point {
    time_point at;
    std::uint64_t delivered;
    /// This side's count of busy ACKs when the point was taken, so acks_min
    /// counts ACKs, not the points the ring kept.
    std::uint64_t ack_index;
  };
  void clear() noexcept;
  [[nodiscard]] const point& front() const noexcept { return ring_[head_]; }
  [[nodiscard]] const point& at(std::size_t i) const noexcept { return ring_[(head_ + i) % capacity]; }
  void pop_front() noexcept;
  void push_back(const point& p) noexcept;

  busy_ack_rate_config config_;
  std::array<point, capacity> ring_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::uint64_t acks_ = 0;          // busy ACKs seen in this span
  std::uint64_t last_delivered_ = 0; // after the span's last ACK
  std::uint64_t rate_ = 0;
};

} // namespace tern::cc
