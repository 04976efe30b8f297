#pragma once

// Repeated, interleaved trials of the UDP ceiling and tern's goodput.
//
// On a shared machine the CPU share a benchmark gets changes from second to
// second, so a ceiling measured at one moment and tern at another compare
// the load of two moments as much as the two senders. Each trial therefore
// measures every ceiling mode and tern back to back, with the same duration,
// and the order flips from one trial to the next (ceiling first in even
// trials, tern first in odd ones) so neither side is always measured right
// after the other has heated or cooled the machine. The ratio of a trial
// compares two measurements a few seconds apart; the median over trials
// keeps one lucky or unlucky trial from deciding it.

#include "tern_goodput.hpp"
#include "udp_ceiling.hpp"

#include <cstddef>
#include <map>
#include <vector>

namespace tern::bench {

struct trial_plan {
  ceiling_config ceiling;         ///< datagram_size and mode are set per measurement
  std::vector<std::size_t> sizes; ///< ceiling datagram sizes; the first is the primary one
  std::vector<udp_mode> modes;    ///< empty: tern alone
  goodput_config tern;            ///< duration and ipv6 are taken from `ceiling`
  std::size_t trials = 5;
};

struct trial {
  std::map<std::size_t, std::map<udp_mode, ceiling_result>> ceiling;
  goodput_result tern;
};

/// Runs plan.trials trials in the interleaved order described above. Blocks
/// for about trials * (sizes * modes + 1) * duration.
std::vector<trial> run_trials(const trial_plan& plan);

/// Payload bits per second the receiver got (0 if nothing was measured).
double bits_per_second(const ceiling_result& r) noexcept;
double bits_per_second(const goodput_result& r) noexcept;

/// The ceiling a trial measured in `mode` at `size`, or nullptr.
const ceiling_result* find_ceiling(const trial& t, std::size_t size, udp_mode mode) noexcept;

/// The datagram size a trial's tern is compared at: the size tern ended up
/// with (path MTU discovery grows it on loopback) when the ceiling was
/// measured at that size, else the primary size.
std::size_t ratio_basis(const trial& t, std::size_t primary) noexcept;

/// tern's goodput over the ceiling of the same trial in `mode`, at
/// ratio_basis(); 0 where that ceiling was not measured.
double paired_ratio(const trial& t, std::size_t primary, udp_mode mode) noexcept;

/// Index of the trial with the highest ceiling in `mode` at `size` (a
/// ceiling's best trial is its least disturbed one).
std::size_t best_ceiling_trial(const std::vector<trial>& trials, std::size_t size, udp_mode mode) noexcept;

/// Index of the trial whose tern goodput is the median (the lower middle one
/// for an even count).
std::size_t median_tern_trial(const std::vector<trial>& trials) noexcept;

/// Median of the values (mean of the two middle ones for an even count); 0
/// for none.
double median(std::vector<double> values) noexcept;

} // namespace tern::bench
