#pragma once

// How many repair symbols a block gets (docs/fec.md, "Adaptation").
//
// Adaptive: the fewest repair symbols m such that the probability that the
// k sources and m repairs of the block lose more than m packets - what a
// Reed-Solomon block cannot rebuild - stays below a target. Losses follow a
// Gilbert model fitted to the measured loss rate p and mean burst length b
// (bad state always loses, leaves it with probability 1/b; p is the share
// of time in it), so bursty paths get more repair than random loss of the
// same rate. The target is stricter when the block's deadline slack is
// shorter than a retransmission takes (one and a half round trips): then a
// loss repair cannot rebuild is a lost frame, otherwise only a late one.
// No loss measured: no repair. m never exceeds max_ratio * k (rounded up)
// nor the wire bound of 16.
//
// Fixed: m = ceil(ratio * k), whatever the path does.

#include <cstddef>

namespace tern::fec {

enum class repair_mode { off, adaptive, fixed };

struct repair_policy_config {
  repair_mode mode = repair_mode::adaptive;
  /// Repair symbols per source packet in fixed mode.
  double fixed_ratio = 0.25;
  /// Adaptive mode never spends more than this per source packet.
  double max_ratio = 0.5;
};

/// What the policy knows about a closing block.
struct block_outlook {
  std::size_t sources = 0;
  double loss_rate = 0;
  double mean_burst = 1;
  /// The block's earliest deadline leaves time for a retransmission.
  bool retransmission_can_help = true;
};

/// Residual targets: a block repair cannot rebuild at most this often.
inline constexpr double target_with_retransmission = 1e-3;
inline constexpr double target_without_retransmission = 1e-4;

/// How blocks are laid out on the wire (docs/fec.md, "Bursty loss"). On a
/// path whose losses come in bursts, a block of one message's packets with
/// its repair right behind loses sources and repair to the same burst, and
/// a burst longer than the block's repair defeats it however much repair
/// there is. There a block spans messages (up to spanning_sources sources,
/// or until it is max_block_age_rtts smoothed RTTs old, closed behind a
/// message's last fragment) and its repair packets are interleaved with the
/// packets that follow, one behind each packet carrying message data, so
/// one burst takes few of either.
struct block_layout {
  bool span_messages = false;
  bool interleave_repairs = false;
};
/// Mean burst length (packets) from which losses count as bursty: random
/// loss at a few percent has a mean burst just above 1.
inline constexpr double bursty_mean_burst = 2.0;
inline constexpr std::size_t spanning_sources = 16;
/// How long (in smoothed RTTs) a spanning block stays open at most, and how
/// long its interleaved repair waits for packets to go between at most.
inline constexpr double max_block_age_rtts = 0.25;

block_layout layout_for(double loss_rate, double mean_burst) noexcept;

/// Repair symbols for the block.
std::size_t repairs_for(const block_outlook& block, const repair_policy_config& config);

/// Probability that more than `repairs` of the `sources + repairs` packets
/// of a block are lost under the Gilbert model of (loss_rate, mean_burst).
double unrecoverable_probability(std::size_t sources, std::size_t repairs, double loss_rate, double mean_burst);

} // namespace tern::fec
