#pragma once

#include "sim/distribution.hpp"
#include "sim/loss_model.hpp"
#include "sim/netem_spec.hpp"
#include "sim/packet.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstdint>
#include <vector>

namespace tern::sim {

/// Counters of one link (one direction). Delays are measured from the moment
/// a packet is offered to the moment it is dequeued.
struct link_stats {
  std::uint64_t packets_in = 0;     ///< packets offered (duplicates not counted)
  std::uint64_t bytes_in = 0;
  std::uint64_t packets_out = 0;    ///< packets that left the link (duplicates counted)
  std::uint64_t bytes_out = 0;
  std::uint64_t lost = 0;           ///< dropped by the loss model (original or duplicate)
  std::uint64_t dropped_limit = 0;  ///< tail-dropped because `limit` packets were held
  std::uint64_t duplicated = 0;     ///< extra copies made
  std::uint64_t reordered = 0;      ///< packets sent at once by netem's reorder rule
  std::uint64_t out_of_order = 0;   ///< packets that left after a packet offered later
  std::uint64_t corrupted = 0;      ///< packets with one bit flipped
  std::uint64_t ce_marked = 0;      ///< loss events turned into CE marks (ecn)
  duration delay_total{0};          ///< sum over packets_out of offer-to-exit time
  duration delay_max{0};
  duration queue_delay_total{0};    ///< sum of time spent waiting for the rate serializer
  duration queue_delay_max{0};

  std::uint64_t dropped() const noexcept { return lost + dropped_limit; }
  /// Mean offer-to-exit time in seconds (0 with no packets out).
  double mean_delay_seconds() const noexcept;
  double mean_queue_delay_seconds() const noexcept;
};

/// What happened to one copy of an offered packet.
enum class packet_fate : std::uint8_t { queued, lost, dropped_limit };

struct copy_outcome {
  packet_fate fate = packet_fate::queued;
  bool corrupted = false; ///< one payload bit was flipped
  bool reordered = false; ///< took netem's reorder path: leaves at once, ahead of queued packets
  bool ce_marked = false; ///< a loss event marked it instead (ecn)
  time_point due{};       ///< when it is due to leave (fate == queued)
};

/// The outcome of link::enqueue: the original and, when duplicated, the copy.
struct enqueue_outcome {
  copy_outcome original;
  bool duplicated = false;
  copy_outcome duplicate; ///< meaningful only when duplicated
};

/// Details of a packet leaving the link.
struct exit_info {
  time_point offered{};     ///< when it was enqueued
  time_point due{};         ///< when it was due to leave
  duration queue_delay{0};  ///< part of the delay spent behind other packets (rate)
  bool out_of_order = false;
  bool ce_marked = false;
};

/// One direction of an impaired path, with netem's semantics (tc-netem(8),
/// Linux net/sched/sch_netem.c): a queue of at most `limit` packets, loss,
/// duplication, corruption, reordering, delay with jitter from a
/// distribution, serialization at `rate`, and `slot` bursts. Sans-IO: the
/// caller offers packets at `now`, asks when the next one is due, and takes
/// it out at or after that time. All randomness comes from the link's own
/// random_source, so a link's decisions depend only on its seed and on the
/// sequence of calls.
class netem_link {
public:
  /// A link applying `spec`, seeded with `seed` (or with spec.seed when the
  /// spec sets one). `pool`, when given, supplies and takes back payload
  /// buffers for duplicates and dropped packets; it must outlive the link.
  netem_link(const netem_spec& spec, std::uint64_t seed, buffer_pool* pool = nullptr);

  /// Replaces the impairments, as `tc qdisc change` does: packets already
  /// held keep their due times; loss and correlation state start afresh.
  void set_spec(const netem_spec& spec);
  const netem_spec& spec() const noexcept { return spec_; }

  /// Offers a packet at `now`; the link takes ownership of it (a dropped
  /// packet's buffer goes back to the pool). Call with non-decreasing `now`.
  enqueue_outcome enqueue(packet&& p, time_point now);

  /// When dequeue() can next release a packet; tern::never when empty.
  time_point next_event() const noexcept;

  /// Moves the next due packet into `out` and returns true when one is due
  /// at `now`; false (out untouched) otherwise. Packets leave in due-time
  /// order, ties in the order they were queued.
  bool dequeue(time_point now, packet& out, exit_info* info = nullptr);

  /// Packets held (queued or in flight on the link).
  std::size_t size() const noexcept { return heap_.size(); }
  const link_stats& stats() const noexcept { return stats_; }

private:
  struct entry {
    time_point due;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct held {
    packet pkt;
    time_point offered{};
    duration queue_delay{0};
    bool ce = false;
  };
  static bool later(const entry& a, const entry& b) noexcept {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }

  copy_outcome admit(packet&& p, time_point now, bool ce);
  duration packet_time(std::size_t bytes) const noexcept;
  void next_slot(time_point now) noexcept;
  void drop(packet&& p);

  netem_spec spec_;
  random_source rng_;
  buffer_pool* pool_;
  // Thresholds as netem holds them (fraction * UINT32_MAX).
  std::uint32_t duplicate_ = 0, reorder_ = 0, corrupt_ = 0;
  correlated_random delay_corr_, dup_corr_, reorder_corr_, corrupt_corr_;
  loss_model loss_;
  std::uint32_t counter_ = 0; ///< packets delayed since the last reorder (netem's q->counter)
  time_point last_due_{};     ///< latest due time given by the rate path
  // slot state (netem's q->slot)
  time_point slot_next_{};
  std::int64_t slot_packets_left_ = 0;
  std::int64_t slot_bytes_left_ = 0;

  std::vector<entry> heap_;
  std::vector<held> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t max_seq_out_ = 0;
  bool any_out_ = false;
  link_stats stats_;
};

} // namespace tern::sim
