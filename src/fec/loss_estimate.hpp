#pragma once

// The sender's view of the path's loss before repair, from the receiver's
// REPAIR_REPORT counts (docs/fec.md, "Adaptation"): the loss rate and the
// mean burst length over roughly the last `window` packets. The counts are
// cumulative, so a lost or reordered report costs nothing: the next one
// carries the same information.

#include "wire/repair_frames.hpp"

#include <cstdint>

namespace tern::fec {

class loss_estimate {
public:
  /// Packets the estimate averages over: at 2% loss, about 80 losses, so
  /// the estimate moves by about a tenth between reports of a steady path.
  static constexpr double window = 4000;

  /// Takes a report; one whose counts went backwards (reordered behind a
  /// newer one) is ignored.
  void on_report(const wire::repair_report_frame& r) noexcept;
  /// Fraction of packets lost, 0 before any report.
  double loss_rate() const noexcept { return seen_ > 0 ? missing_ / seen_ : 0; }
  /// Mean consecutive packets lost per loss event, at least 1.
  double mean_burst() const noexcept { return events_ > 0 && missing_ > events_ ? missing_ / events_ : 1; }
  /// Packets the reports have accounted for so far (all of them, not only
  /// the window).
  std::uint64_t packets_reported() const noexcept { return last_.packets_seen; }
  /// Packets the receiver has rebuilt in all (its last report).
  std::uint64_t packets_recovered() const noexcept { return last_.packets_recovered; }

private:
  wire::repair_report_frame last_;
  double seen_ = 0;
  double missing_ = 0;
  double events_ = 0;
};

} // namespace tern::fec
