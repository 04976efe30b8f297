#pragma once

#include "congestion/rate_sample.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace tern::recovery {

/// Marks "no packet number" (e.g. a packet that carried no ACK frame).
inline constexpr std::uint64_t no_packet = std::numeric_limits<std::uint64_t>::max();

enum class packet_state : std::uint8_t {
  none,        ///< number not recorded (skipped, or a packet not tracked)
  outstanding, ///< sent, neither acknowledged nor declared lost
  acked,
  lost, ///< declared lost; kept a while to notice a spurious loss
};

/// What the sender remembers about one sent packet.
struct sent_packet {
  std::uint64_t packet_number = 0;
  time_point time_sent{};
  /// Size counted against the congestion window, bytes.
  std::uint32_t bytes = 0;
  bool ack_eliciting = false;
  /// Counted in bytes in flight (RFC 9002 §2).
  bool in_flight = false;
  packet_state state = packet_state::none;
  /// When it was declared lost, and the largest acknowledged packet number
  /// then (valid in state lost).
  time_point time_lost{};
  std::uint64_t largest_acked_when_lost = 0;
  /// Delivery-rate snapshot taken when it was sent.
  cc::packet_send_state delivery{};
  /// The owner's handle on what the packet carried (frames to retransmit).
  std::uint64_t cookie = 0;
  /// Largest acknowledged of the ACK this packet carried; no_packet if none.
  std::uint64_t carried_ack_largest = no_packet;
};

/// The sender's table of sent packets, indexed by packet number. Numbers
/// only grow, and fewer than a bounded number are ever live, so it is a ring
/// buffer over [first_packet_number(), next_packet_number()), grown by
/// doubling (amortised: the steady state never allocates). It holds no
/// storage until the first record(), and release_if_empty() gives back a
/// table grown past its initial capacity (docs/security.md, memory per
/// connection); the next busy period then starts at the size the last one
/// reached, so bursts that each empty the table cost one allocation, not a
/// doubling series. A skip pointer per
/// slot lets ACK processing jump over runs of acknowledged packets, so an ACK
/// costs time in what it newly acknowledges, not in the size of its ranges.
class sent_packet_map {
public:
  /// `initial_capacity`: the slots the first record() after an empty table
  /// allocates (rounded up to a power of two, at least 16).
  explicit sent_packet_map(std::size_t initial_capacity = 256);

  /// Stores `p`, whose number must be at least next_packet_number() (numbers
  /// in between are recorded as none). Returns the stored entry.
  sent_packet& record(const sent_packet& p);

  /// The entry for `pn`, or nullptr when it is outside the window or none.
  [[nodiscard]] sent_packet* find(std::uint64_t pn) noexcept;
  [[nodiscard]] const sent_packet* find(std::uint64_t pn) const noexcept;

  /// The smallest number >= `from` in state outstanding or lost, or
  /// next_packet_number() when there is none.
  [[nodiscard]] std::uint64_t next_pending(std::uint64_t from) noexcept;

  /// State changes. An acked entry is skipped by next_pending from then on.
  void mark_acked(sent_packet& p) noexcept;
  void mark_lost(sent_packet& p, time_point now) noexcept;
  /// Forgets `p` as if it had never been recorded (state none): find()
  /// no longer returns it, an ACK naming it is ignored, next_pending skips it.
  void forget(sent_packet& p) noexcept;

  /// Drops entries from the front that are acknowledged or none, and lost
  /// ones declared lost at or before `lost_cutoff`.
  void retire(time_point lost_cutoff) noexcept;

  /// When nothing is held and the table grew past its initial capacity,
  /// frees the slots (capacity() becomes 0); returns whether it did.
  bool release_if_empty() noexcept;

  /// Smallest packet number still held (== next_packet_number() when empty).
  [[nodiscard]] std::uint64_t first_packet_number() const noexcept { return first_; }
  /// One past the largest packet number recorded.
  [[nodiscard]] std::uint64_t next_packet_number() const noexcept { return next_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return next_ - first_; }
  [[nodiscard]] bool empty() const noexcept { return next_ == first_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

private:
  struct slot {
    sent_packet packet;
    /// For an acked or none slot: a number > this one such that every slot
    /// in between is also acked or none.
    std::uint64_t skip = 0;
  };
  [[nodiscard]] slot& at(std::uint64_t pn) noexcept { return slots_[pn & mask_]; }
  [[nodiscard]] const slot& at(std::uint64_t pn) const noexcept { return slots_[pn & mask_]; }
  [[nodiscard]] static bool skippable(const slot& s) noexcept {
    return s.packet.state == packet_state::none || s.packet.state == packet_state::acked;
  }
  void grow(std::uint64_t needed);

  std::vector<slot> slots_;
  std::size_t initial_capacity_;
  /// Most packets live at once since the table was last empty, and the
  /// capacity the next allocation after an empty table starts at.
  std::uint64_t peak_ = 0;
  std::size_t restart_capacity_ = 0;
  std::uint64_t mask_ = 0;
  std::uint64_t first_ = 0;
  std::uint64_t next_ = 0;
  bool started_ = false;
};

} // namespace tern::recovery
