#pragma once

#include "stream/range_set.hpp"

#include "util/lazy_deque.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <system_error>
#include <vector>

namespace tern::stream {

struct message_sender_config {
  /// Largest message accepted, bytes.
  std::size_t max_message_size = 1024 * 1024;
  /// Bytes of messages held (queued or awaiting acknowledgement) at most.
  std::size_t max_buffered_bytes = 4 * 1024 * 1024;
  /// Send a retransmission twice, in two packets, when it is the last one
  /// that can still arrive before the deadline.
  bool duplicate_last_chance = true;
  /// Send every fragment twice, in two packets, from the first time: a
  /// lost packet then costs no round trip (for a low-rate flow such as
  /// audio, where the extra bytes are cheap and a repair is too late).
  bool duplicate_always = false;
  /// How far back (in message ids) a dependency may point: outcomes older
  /// than this are forgotten, so naming one is refused (invalid_argument).
  std::uint64_t max_dependency_distance = 4096;
};

/// Why the sender gave a message up (MESSAGE_ABANDON / FLOW_ABANDON).
enum class abandon_cause : std::uint8_t {
  deadline,   ///< its deadline passed before every byte was acknowledged
  dependency, ///< a message it depends on (directly or not) was given up
};

/// A message given up, for an abandon frame.
struct abandon_notice {
  std::uint64_t message_id = 0;
  abandon_cause cause = abandon_cause::deadline;
  friend constexpr bool operator==(const abandon_notice&, const abandon_notice&) noexcept = default;
};

/// One message fragment to put in a DATAGRAM frame with message fields.
struct message_fragment {
  std::uint64_t message_id = 0;
  std::uint64_t message_length = 0; ///< total bytes of the message
  std::uint64_t offset = 0;         ///< of this fragment within the message
  /// The bytes: valid until the next call on the sender.
  std::span<const std::byte> data;
  /// Time left until the deadline at `now` (never negative); microseconds
  /// on the wire.
  duration ttl{};
  bool retransmission = false; ///< lost data offered again
  bool duplicate = false;      ///< second copy of a last-chance retransmission
  std::uint8_t flow = 0;       ///< set by message_flow_sender
  bool unordered = false;      ///< the receiver may deliver it out of id order
};

/// Identifies a fragment handed out earlier, for acknowledgement and loss.
struct fragment_ref {
  std::uint64_t message_id = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint8_t flow = 0;
};

struct message_sender_stats {
  std::uint64_t messages_queued = 0;
  std::uint64_t messages_acked = 0;     ///< every byte acknowledged
  std::uint64_t messages_abandoned = 0; ///< deadline passed first
  /// Given up because a message they depend on was (never sent again, and
  /// not sent at all if they had not started).
  std::uint64_t messages_dropped_dependency = 0;
  std::uint64_t fragments_sent = 0;     ///< including retransmissions and duplicates
  std::uint64_t retransmissions = 0;
  std::uint64_t duplicates = 0;
  /// The longest a message waited from send() to its first fragment being
  /// handed out: what the flows ahead of it (and the congestion window and
  /// pacing, through the connection) cost it.
  duration max_first_fragment_wait{0};
  /// The same waits counted by bucket: at most 1, 2, 5, 10, 20, 50, 100 ms,
  /// and longer (a caller can take differences over a period).
  std::array<std::uint64_t, 8> first_fragment_waits{};
};

/// Upper bounds of message_sender_stats::first_fragment_waits buckets, ms
/// (the last bucket has none).
inline constexpr std::array<std::uint32_t, 7> first_fragment_wait_bounds_ms{1, 2, 5, 10, 20, 50, 100};

/// Sender of messages with a deadline (INTERFACES.md, "Datagrams and
/// deadline messages").
///
/// Messages get sequential ids from 0. They are cut into fragments to fit
/// the space the connection offers, handed out oldest message first (lost
/// ranges of a message before its unsent data), and tracked per byte range
/// like stream data: acknowledged, in flight, lost. A lost range is offered
/// again only while it can still arrive: now + one_way_delay <= deadline.
/// When a retransmission is the last chance (no time to detect its loss,
/// about 9/8 RTT, and repair it once more), it is sent twice, in two
/// different packets. When the deadline passes with bytes unacknowledged,
/// the message is abandoned and a MESSAGE_ABANDON is queued; the connection
/// sends it reliably (poll_abandon / on_abandon_lost).
///
/// Dependencies: a message may name an earlier one it depends on (a
/// P-frame on its reference). When a message is given up, every message
/// that depends on it, directly or through others, is given up at once
/// with cause `dependency`: none of their bytes is sent afterwards, and
/// each gets its own abandon notice so the receiver learns why.
class message_sender {
public:
  explicit message_sender(message_sender_config cfg = {});

  /// Queues a message to deliver before `deadline` and returns its id.
  /// Errors (nothing queued): message_too_large (above max_message_size),
  /// buffer_full (no room in max_buffered_bytes), deadline_passed
  /// (deadline <= now), std::errc::invalid_argument (empty message, or a
  /// `depends_on` that is not an earlier id within max_dependency_distance).
  /// A message whose dependency was already given up is queued given up:
  /// it gets its id and an abandon notice (cause dependency), and is never sent.
  std::uint64_t send(std::span<const std::byte> message, time_point deadline, time_point now,
                     std::error_code& ec, std::optional<std::uint64_t> depends_on = std::nullopt);

  /// The next fragment for the packet identified by `packet_tag` (e.g. its
  /// packet number), carrying at most `max_payload` bytes of message data.
  /// `one_way_delay` is the current estimate (about smoothed RTT / 2).
  /// A pending duplicate is never given for the packet that carries its
  /// original. Messages past their deadline are abandoned first.
  std::optional<message_fragment> next_fragment(std::size_t max_payload, time_point now,
                                                duration one_way_delay, std::uint64_t packet_tag);

  /// Whether next_fragment() could return something for a fresh packet.
  bool has_pending(time_point now, duration one_way_delay) const noexcept;

  /// The packet carrying fragment `f` was acknowledged.
  void on_acked(const fragment_ref& f);
  /// The packet carrying fragment `f` was declared lost.
  void on_lost(const fragment_ref& f);

  /// Abandons every message whose deadline is at or before `now`.
  void on_timeout(time_point now);
  /// The earliest deadline of a message still in progress, or never.
  time_point next_timeout() const noexcept;

  /// A message given up, for an abandon frame, or nothing.
  std::optional<abandon_notice> poll_abandon() noexcept;
  /// The packet carrying the abandon frame for `n` was lost: send it again.
  void on_abandon_lost(abandon_notice n) { abandons_.push_back(n); }
  /// Whether an abandon notice waits for poll_abandon().
  bool has_abandon() const noexcept { return !abandons_.empty(); }

  /// Bytes held by messages in progress.
  std::size_t buffered() const noexcept { return buffered_; }
  /// Messages in progress (neither fully acknowledged nor abandoned).
  std::size_t in_progress() const noexcept;
  const message_sender_stats& stats() const noexcept { return stats_; }
  /// message_sender_config::duplicate_always, for fragments sent from now on.
  void set_duplicate_always(bool on) noexcept { cfg_.duplicate_always = on; }

private:
  struct by_offset {
    bool operator()(const byte_range& a, const byte_range& b) const noexcept {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    }
  };
  struct message {
    std::uint64_t id = 0;
    time_point deadline{};
    time_point queued_at{};
    std::vector<std::byte> data;
    std::uint64_t next_new = 0; // first offset never sent
    range_set acked;
    range_set lost; // to offer again
    /// One entry per copy out (or queued duplicate), by offset: an
    /// acknowledgement or loss finds its copy, and a loss the copies over
    /// its range, in O(log n) (a vector searched from the front made each
    /// one O(n) in the fragments in flight).
    std::multiset<byte_range, by_offset> in_flight;
    /// The longest range ever put in flight: a copy overlapping a lost
    /// range starts at most this far before it.
    std::uint64_t longest_in_flight = 0;
    /// Messages that name this one as their dependency, while it is in
    /// progress: given up with it.
    std::vector<std::uint64_t> dependents;
    bool done = false;
  };
  struct pending_duplicate {
    std::uint64_t message_id = 0;
    byte_range range;
    std::uint64_t original_packet = 0;
  };

  message* find(std::uint64_t id) noexcept;
  void retire(message& m) noexcept;
  /// Marks `m` done (not popped: callers may be iterating) and gives up
  /// its dependents, transitively, with cause `dependency`.
  void give_up(message& m, abandon_cause cause);
  void free_message(message& m) noexcept;
  void note_first_fragment(duration wait) noexcept;
  void pop_done() noexcept;
  static void add_in_flight(message& m, byte_range r);
  static void drop_in_flight(message& m, byte_range r) noexcept;
  bool can_arrive(const message& m, time_point now, duration owd) const noexcept {
    return now + owd <= m.deadline;
  }
  message_fragment make_fragment(const message& m, byte_range r, time_point now) const noexcept;

  message_sender_config cfg_;
  util::lazy_deque<message> messages_; // ids messages_.front().id, +1, ...
  util::lazy_deque<pending_duplicate> duplicates_;
  util::lazy_deque<abandon_notice> abandons_;
  /// Ids given up within the last max_dependency_distance ids: a new
  /// message depending on one of them is given up on arrival.
  range_set given_up_recent_;
  std::vector<std::uint64_t> drop_stack_; // reused by give_up
  range_set scratch_; // reused by on_lost, so a loss does not allocate
  std::uint64_t next_id_ = 0;
  std::size_t buffered_ = 0;
  message_sender_stats stats_;
};

} // namespace tern::stream
