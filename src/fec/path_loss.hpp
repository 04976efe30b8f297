#pragma once

// The loss rate and burst length repair adapts to (docs/fec.md, "Loss
// reports" and "Before the first reports"), from three sources in turn:
//
// - A prior, before there is any evidence: a connection's first losses
//   come before any report or ACK could tell of them, and a deadline
//   message that loses a packet then waits a retransmission (a round trip
//   and more) however well repair works later. So until prior_evidence
//   packets have been judged (acknowledged or declared lost) without a
//   loss, a block whose deadline is within prior_slack_rtts smoothed RTTs
//   is protected as if the path lost prior_loss_rate in short bursts.
// - The sender's own loss detector, until the peer's reports have covered
//   early_report_packets: before repair hides anything it sees every loss
//   an ACK after it happened, where a report needs 64 packets to settle and
//   many more to be a rate; once any loss showed, at least early_loss_floor
//   (a rate from a few hundred packets is mostly luck).
// - The peer's REPAIR_REPORTs (loss_estimate), from then on.
//
// A clean path thus gets repair only for its first prior_evidence packets
// and the round trip it takes to judge them: a bounded number of repair
// packets per connection, whatever the rate.

#include "fec/loss_estimate.hpp"
#include "wire/repair_frames.hpp"

#include <cstdint>

namespace tern::fec {

class path_loss {
public:
  /// The prior: the loss tern's media targets are set at (2% random),
  /// which the policy meets with 3 repairs for a 14-packet frame, overrun
  /// at 2% one block in 3,200; a 1% prior gives 2 repairs, overrun at 2%
  /// one block in 270, so the first frames of a 2% path would again wait
  /// for retransmissions now and then.
  static constexpr double prior_loss_rate = 0.02;
  static constexpr double prior_mean_burst = 1;
  /// Clean packets that end the prior: a 2% path loses none of 200 one time
  /// in 57 (0.98^200), so 200 clean packets reject the prior; at 3 repairs
  /// per 14 sources they cost about 45 repair packets plus a round trip's
  /// worth (0.7% of a 20 s 4 Mbit/s stream, 0.2% of a minute).
  static constexpr std::uint64_t prior_evidence = 200;
  /// Only deadlines this close get the prior: a message with more slack
  /// than that survives a retransmission (1.5 RTTs) and a second one, so
  /// repair before evidence would buy it nothing it needs.
  static constexpr double prior_slack_rtts = 4;
  static constexpr std::uint64_t early_report_packets = 1000;
  static constexpr double early_loss_floor = 0.02;

  /// The sender's loss detector's counts so far.
  void on_local(std::uint64_t packets_sent, std::uint64_t packets_acked, std::uint64_t packets_lost) noexcept {
    local_sent_ = packets_sent;
    local_acked_ = packets_acked;
    local_lost_ = packets_lost;
  }
  void on_report(const wire::repair_report_frame& r) noexcept { estimate_.on_report(r); }

  /// What was measured (0 while nothing was lost).
  double measured_loss_rate() const noexcept;
  double measured_mean_burst() const noexcept { return estimate_.mean_burst(); }
  /// The prior still holds: nothing lost yet and too little judged.
  bool prior_holds() const noexcept;
  /// The rate and burst length to protect a block with, given whether its
  /// deadline is within prior_slack_rtts.
  double loss_rate(bool deadline_close) const noexcept;
  double mean_burst(bool deadline_close) const noexcept;

  const loss_estimate& estimate() const noexcept { return estimate_; }

private:
  bool prior_applies(bool deadline_close) const noexcept { return deadline_close && prior_holds(); }

  loss_estimate estimate_;
  std::uint64_t local_sent_ = 0;
  std::uint64_t local_acked_ = 0;
  std::uint64_t local_lost_ = 0;
};

} // namespace tern::fec
