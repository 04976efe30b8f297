#pragma once

// The receiver's count of what the path lost before repair (docs/fec.md,
// "Loss reports"). A packet number counts once it falls 64 numbers behind
// the largest received: missing then, it was lost (reordering within 64
// packets is not loss). A packet that arrives later still was only late:
// it cancels the next number that would count as missing, which keeps the
// reported counts cumulative (never decreasing) while paths that reorder
// by more than 64 packets (a tenth of a second at a few thousand packets
// per second) are not taken for lossy ones. Consecutive missing numbers
// form one loss event, so missing / events is the mean burst length.
// Recovered packets are not fed here: the counts describe the path, not
// what repair made of it.

#include "wire/repair_frames.hpp"

#include <cstdint>

namespace tern::fec {

class loss_meter {
public:
  /// Packet numbers a packet may arrive behind the largest and still count.
  static constexpr std::uint64_t reorder_window = 64;

  /// An authenticated packet (not a rebuilt one) numbered `number` arrived.
  /// Numbers below the first one seen, or too far behind, are ignored.
  /// O(reorder_window) at most, whatever the jump.
  void on_packet(std::uint64_t number) noexcept;
  /// The counts so far, as a REPAIR_REPORT carries them.
  wire::repair_report_frame counts(std::uint64_t packets_recovered) const noexcept;

private:
  /// Settles `count` numbers leaving the window: `received` says whether
  /// the one at the oldest end arrived.
  void settle(bool received) noexcept;
  void settle_missing(std::uint64_t count) noexcept;

  bool started_ = false;
  std::uint64_t largest_ = 0;
  /// Bit i: packet largest_ - i arrived.
  std::uint64_t window_ = 0;
  /// Numbers in the window (fewer than 64 right after the first packet).
  std::uint64_t filled_ = 0;
  bool last_settled_missing_ = false;
  /// Packets that arrived after being settled as missing, not yet offset.
  std::uint64_t late_ = 0;
  std::uint64_t seen_ = 0;
  std::uint64_t missing_ = 0;
  std::uint64_t events_ = 0;
};

} // namespace tern::fec
