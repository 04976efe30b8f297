#pragma once

#include "util/lazy_deque.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace tern::stream {

struct datagram_queue_config {
  /// Datagrams held at most.
  std::size_t max_count = 256;
  /// Payload bytes held at most.
  std::size_t max_bytes = 1024 * 1024;
  /// Largest payload accepted (the connection sets it from the peer's
  /// max_datagram_frame_size and the path MTU).
  std::size_t max_datagram_size = 1200;
};

/// Outgoing unreliable datagrams (DATAGRAM frames, never retransmitted).
///
/// A bounded FIFO. Each datagram may carry a deadline: once it has passed,
/// the datagram is discarded instead of sent (counted). Payload buffers are
/// recycled, so a steady flow does not allocate.
class datagram_send_queue {
public:
  explicit datagram_send_queue(datagram_queue_config cfg = {}) : cfg_{cfg} {}

  /// Queues a copy of `payload`, to be discarded unsent after `deadline`
  /// (tern::never: no deadline). Errors (nothing queued): message_too_large
  /// above max_datagram_size, buffer_full when the count or byte budget is
  /// exhausted.
  std::error_code push(std::span<const std::byte> payload, time_point deadline = never);

  /// The oldest datagram that is still on time, discarding stale ones first;
  /// a view valid until pop() or push(). Nothing when empty.
  std::optional<std::span<const std::byte>> front(time_point now);

  /// Removes the datagram front() returned (after it went into a packet).
  void pop() noexcept;

  std::size_t size() const noexcept { return queue_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  /// Datagrams discarded because their deadline passed before sending.
  std::uint64_t expired() const noexcept { return expired_; }

private:
  struct item {
    std::vector<std::byte> payload;
    time_point deadline;
  };
  datagram_queue_config cfg_;
  util::lazy_deque<item> queue_;
  std::vector<std::vector<std::byte>> spare_; // recycled payload buffers
  std::size_t bytes_ = 0;
  std::uint64_t expired_ = 0;
};

/// What a full receive queue gives up.
enum class overflow_policy : std::uint8_t {
  drop_oldest, ///< make room by discarding the oldest queued datagram (freshest data wins, e.g. audio)
  drop_newest, ///< discard the arriving datagram
};

/// Incoming unreliable datagrams waiting for the application: a bounded FIFO
/// with an overflow policy; every discarded datagram is counted.
class datagram_recv_queue {
public:
  explicit datagram_recv_queue(datagram_queue_config cfg = {},
                               overflow_policy policy = overflow_policy::drop_oldest)
      : cfg_{cfg}, policy_{policy} {}

  /// A DATAGRAM frame arrived. Returns false when a datagram (this one or an
  /// older one, per the policy) was discarded to respect the bounds.
  bool push(std::span<const std::byte> payload);

  /// Copies the oldest datagram into `out` and removes it. Returns its size,
  /// or nothing when the queue is empty. A datagram larger than `out` is
  /// truncated to out.size() (the rest is lost, as with a UDP socket); the
  /// returned size is the full size so the caller can tell.
  std::optional<std::size_t> pop(std::span<std::byte> out);

  /// Size of the oldest datagram, if any.
  std::optional<std::size_t> front_size() const noexcept;

  std::size_t size() const noexcept { return queue_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  /// Datagrams discarded because the queue was full.
  std::uint64_t dropped() const noexcept { return dropped_; }

private:
  void drop_front() noexcept;
  datagram_queue_config cfg_;
  overflow_policy policy_;
  util::lazy_deque<std::vector<std::byte>> queue_;
  std::vector<std::vector<std::byte>> spare_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

} // namespace tern::stream
