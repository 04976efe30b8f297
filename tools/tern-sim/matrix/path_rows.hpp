#pragma once

// The rows of the path-condition matrix (issue 18): each row is one path,
// a clean bottleneck plus one impairment, that tern's congestion control
// must hold up on. This file only says what the paths are; cell_config
// turns a row into simulator scenarios, matrix_runner runs them.

#include <tern/time.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::matrix {

/// The clean path under every row: a bottleneck of `rate_bps` and a round
/// trip of `rtt`, split evenly between the two directions, with a queue of
/// `queue_bdp` bandwidth-delay products at the bottleneck.
struct base_path {
  double rate_bps = 100e6;
  duration rtt = std::chrono::milliseconds(40);
  double queue_bdp = 1.0;
  /// netem's `limit` as given, in packets, instead of one from queue_bdp
  /// (0: from queue_bdp); e.g. netem's default of 1000.
  std::uint32_t fixed_limit = 0;
};

/// From `at` (counted from the transfer's start) the bottleneck carries
/// `rate_bps`; 0 is a blackout of both directions.
struct rate_phase {
  duration at{0};
  double rate_bps = 0;
};

/// What a row's goodput is judged against (the floors, floors.hpp).
enum class reference : std::uint8_t {
  /// The same cell without the impairment: the row's impairment is
  /// something added to a path whose own goodput is known.
  unimpaired_cell,
  /// The link's capacity: rows with nothing added (BDP, flows sharing the
  /// link) or where the link itself is what changes (rate schedules).
  link,
};

struct path_row {
  /// Rows are grouped in the table: reorder, jitter, buffer, loss, ack
  /// path, schedule, competition, sharing, bdp.
  std::string group;
  /// Unique, short, and what the table prints: e.g. "reorder 3% gap 5, 100 ms".
  std::string name;
  base_path path;
  /// netem keywords added to the data direction's spec, e.g. "reorder 3%".
  std::string up_impairment;
  /// Jitter (and its distribution) of the data direction's delay, written
  /// as netem takes it after the delay: "5ms distribution normal".
  std::string up_jitter;
  /// netem keywords added to the return path's spec, e.g. "loss 20%".
  std::string down_impairment;
  /// Bottleneck rate changes; empty: the rate stays `path.rate_bps`.
  std::vector<rate_phase> phases;
  /// Flows of the controller under test sharing the bottleneck.
  std::size_t flows = 1;
  /// Loss-based (CUBIC) flows competing with them.
  std::size_t competitors = 0;
  /// Bytes each flow sends (scaled to the path: transfer_bytes).
  std::uint64_t bytes = 0;
  reference judged_against = reference::unimpaired_cell;
};

/// Rows with several flows measure fairness (and their goodput) from this
/// long after the flows start to the first flow's completion.
inline constexpr duration fairness_warmup = std::chrono::seconds(2);

/// The matrix issue 18 asks for, in table order.
std::vector<path_row> standard_rows();

/// Bytes a single flow sends on `path`: enough for 30 round trips and one
/// second of the link, whichever is longer, so that start-up is a small
/// part of the transfer; at most 40 MB, which bounds the wall time of the
/// fastest links (1 Gbit/s: 0.32 s of link, 160 round trips at 2 ms).
std::uint64_t transfer_bytes(const base_path& path);

} // namespace tern::matrix
