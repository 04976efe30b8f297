#pragma once

// The sender's progress line on a terminal, refreshed in place:
//   "  52.4 / 200.0 MB  26% [#####..............]  11.8 MB/s  ETA 0:12  RTT 31 ms  loss 1.0%"
// Formatting is a pure function (unit-tested); the sender samples and
// prints it only when stderr is a terminal.

#include <cstddef>
#include <cstdint>
#include <string>

namespace tern_cp {

struct progress_sample {
  std::uint64_t done = 0;  ///< content bytes written so far
  std::uint64_t total = 0; ///< content bytes of all files
  double bytes_per_second = 0;
  double rtt_ms = 0;
  double loss_percent = 0; ///< packets declared lost / packets sent
};

/// One line, no newline, at most `width` columns (the bar shrinks first,
/// then disappears). ETA is "--:--" while the rate is unknown.
std::string format_progress(const progress_sample& s, std::size_t width = 80);

/// Smooths the rate between samples (exponential moving average), so the
/// figure and the ETA do not jump with every burst.
class rate_meter {
public:
  /// `bytes` done at `seconds` since the start; returns the smoothed rate.
  double update(std::uint64_t bytes, double seconds);

private:
  std::uint64_t last_bytes_ = 0;
  double last_seconds_ = 0;
  double rate_ = 0;
  bool primed_ = false;
};

} // namespace tern_cp
