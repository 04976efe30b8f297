#pragma once

#include "stream/range_set.hpp"

#include "util/lazy_deque.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace tern::stream {

struct message_receiver_config {
  /// Largest message accepted, bytes; a larger one is dropped.
  std::size_t max_message_size = 1024 * 1024;
  /// Bytes held for reassembly and undelivered messages at most; a new
  /// message that does not fit is dropped.
  std::size_t max_buffered_bytes = 8 * 1024 * 1024;
  /// How far past the next id to deliver a message id may be. A fragment or
  /// abandon further ahead forces delivery forward: older messages are
  /// delivered if complete, dropped otherwise.
  std::uint64_t max_pending_messages = 1024;
  /// Disjoint fragment ranges held at most, all partial messages together:
  /// what bounds the bookkeeping of a peer sending one-byte fragments with
  /// holes. A fragment that takes the count above it drops its message
  /// (no_memory); other messages are unaffected. A legitimate sender's holes
  /// are lost packets, and max_buffered_bytes / 1200-byte packets is ~7000.
  std::size_t max_held_ranges = 8192;
  /// Events (whole messages and drop notices) waiting for poll() at most.
  /// An application that does not read keeps memory bounded: at the cap the
  /// two oldest events become one drop notice (no_memory for a message), so
  /// it learns what it lost when it reads again. At least 2.
  std::size_t max_queued_events = 1024;
};

/// Why a message was dropped.
enum class drop_reason : std::uint8_t {
  abandoned, ///< the sender gave up (MESSAGE_ABANDON)
  expired,   ///< its ttl elapsed, counted from its first fragment's arrival
  no_memory, ///< too large, the buffer budget, fragment ranges or event queue exhausted
  overrun,   ///< the sender moved more than max_pending_messages ahead
  dependency, ///< the sender gave it up because a message it depends on was
};
inline constexpr std::size_t drop_reason_count = 5;

/// Bytes and fragment ranges held by several receivers together (one per
/// message flow): the caps of message_receiver_config then bound them all,
/// so more flows do not mean more memory. Must outlive the receivers.
struct message_receive_budget {
  std::size_t bytes = 0;
  std::size_t ranges = 0;
};

/// What the application gets, in message id order (except messages sent
/// unordered, handed out as soon as they are whole).
struct message_event {
  enum class kind : std::uint8_t { delivered, dropped };
  kind what = kind::delivered;
  std::uint64_t id = 0;
  std::uint8_t flow = 0; ///< the message flow (set by message_flow_receiver)
  /// For drops: `count` consecutive ids from `id` dropped. Consecutive drops
  /// merge into one notice whatever their reasons (so a peer alternating
  /// reasons cannot multiply notices); `reason` is the first id's and
  /// `per_reason` (indexed by drop_reason) splits `count` by reason.
  std::uint64_t count = 1;
  drop_reason reason = drop_reason::abandoned;
  /// For deliveries: the whole message.
  std::vector<std::byte> data;
  std::array<std::uint64_t, drop_reason_count> per_reason{};
};

struct message_receiver_stats {
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;        ///< ids reported dropped, all reasons
  std::uint64_t late_fragments = 0; ///< for messages already delivered or dropped
  std::uint64_t duplicate_fragments = 0;
};

/// Receiver of messages with a deadline (INTERFACES.md, "Datagrams and
/// deadline messages"): reassembles fragments (duplicates, any order) with
/// bounded memory, delivers whole messages in id order, and reports drops:
/// abandoned by the sender, or ttl elapsed since the first fragment arrived.
/// Fragments of a message already delivered or dropped are discarded.
/// A message whose first fragment says `unordered` is delivered as soon as
/// it is whole, ahead of earlier ids still missing; drop notices stay in id
/// order.
class message_receiver {
public:
  /// With `shared`, bytes and ranges are counted there too, and the caps of
  /// `cfg` apply to the sum over every receiver sharing it.
  explicit message_receiver(message_receiver_config cfg = {}, message_receive_budget* shared = nullptr);

  /// A fragment arrived at `now`. Errors (close the connection):
  /// protocol_violation when the fragment lies outside `message_length` or
  /// the length differs from an earlier fragment of the same message.
  std::error_code on_fragment(std::uint64_t message_id, std::uint64_t message_length, std::uint64_t offset,
                              std::span<const std::byte> data, duration ttl, time_point now,
                              bool unordered = false);

  /// The sender gave `message_id` up (MESSAGE_ABANDON: `why` abandoned, or
  /// dependency). A message already complete is still delivered after
  /// `abandoned`, dropped after `dependency` (unless already handed out).
  void on_abandon(std::uint64_t message_id, drop_reason why = drop_reason::abandoned);

  /// The next event in id order: a whole message or a run of drops. Drops
  /// for expired ttls are decided against `now`.
  std::optional<message_event> poll(time_point now);

  /// The earliest time a ttl expires (poll() then reports a drop), or never.
  time_point next_timeout() const noexcept;

  /// The next message id to be delivered or dropped.
  std::uint64_t next_id() const noexcept { return base_; }
  std::size_t buffered() const noexcept { return buffered_; }
  /// Fragment ranges held by partial messages (<= max_held_ranges).
  std::size_t ranges_held() const noexcept { return held_ranges_; }
  /// Message ids this receiver keeps state for (docs/security.md): only
  /// ids a frame named, at most max_pending_messages.
  std::size_t entries_held() const noexcept { return entries_.size(); }
  /// Events decided but not yet polled (<= max_queued_events).
  std::size_t queued_events() const noexcept { return ready_.size(); }
  const message_receiver_stats& stats() const noexcept { return stats_; }

private:
  struct entry {
    /// delivered_early: an unordered message already handed out, waiting
    /// only to leave the window in turn.
    enum class state : std::uint8_t { unseen, partial, complete, dropped, delivered_early };
    state st = state::unseen;
    bool unordered = false;
    drop_reason reason = drop_reason::abandoned;
    std::uint64_t length = 0;
    time_point expiry = never;
    range_set received;
    std::vector<std::byte> data;
  };

  void make_room(std::uint64_t id);
  void drop(entry& e, drop_reason why) noexcept;
  void release_ranges(entry& e) noexcept;
  void push_ready(message_event ev);
  void fold_oldest_ready();
  void expire(time_point now) noexcept;
  void skip_delivered_early() noexcept;
  void charge(std::size_t bytes) noexcept;
  void release(std::size_t bytes) noexcept;
  void recount_ranges(std::size_t before, std::size_t after) noexcept;
  std::size_t bytes_held_all() const noexcept { return shared_ ? shared_->bytes : buffered_; }
  std::size_t ranges_held_all() const noexcept { return shared_ ? shared_->ranges : held_ranges_; }

  message_receiver_config cfg_;
  message_receive_budget* shared_ = nullptr;
  std::uint64_t base_ = 0; // id of window_.front()
  /// The window's ids from base_ that a frame named (an id absent is
  /// unseen): what is held grows with the frames received, not with the
  /// ids they name (docs/security.md). All keys are >= base_ and below
  /// base_ + max_pending_messages.
  std::map<std::uint64_t, entry> entries_;
  util::lazy_deque<message_event> ready_; // events decided out of turn by make_room(), <= max_queued_events
  std::size_t buffered_ = 0;
  std::size_t held_ranges_ = 0; // sum of the entries' range counts, <= max_held_ranges
  time_point next_expiry_ = never; // lower bound of the earliest live expiry
  message_receiver_stats stats_;
};

} // namespace tern::stream
