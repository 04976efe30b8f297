#pragma once

#include "sim/netem_spec.hpp"
#include "sim/sim_error.hpp"

#include <tern/time.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tern::sim {

/// At `at` (measured from the start of the run), the target link's spec
/// becomes `spec`, replacing the previous one entirely, as `tc qdisc change`
/// does. `target` names a link ("up", "down", a simulator link's name), or
/// is empty for every link the schedule is applied to.
struct schedule_entry {
  duration at{0};
  std::string target;
  netem_spec spec;
  bool operator==(const schedule_entry&) const = default;
};

/// A time-varying scenario: entries in non-decreasing time order.
struct schedule {
  std::vector<schedule_entry> entries;

  /// The entries that apply to the link named `name` (same order).
  schedule for_target(std::string_view name) const;
  bool operator==(const schedule&) const = default;
};

/// Parses a schedule such as
///   "at 0s: delay 50ms; at 10s: delay 50ms loss 30%; at 12s: blackout; at 14s: delay 50ms"
/// Entries are separated by ';' or newlines; '#' starts a comment that runs
/// to the end of the line. Each entry is `at TIME [TARGET]: SPEC`, where
/// TARGET is a name made of letters, digits, '-', '_' and '.', SPEC is a
/// netem spec (empty for a perfect link), and `blackout` is short for
/// `loss 100%` (packets already in flight still arrive). Times must not
/// decrease. Errors (sim_errc::bad_schedule, or sim_errc::bad_spec for a bad
/// spec inside an entry) give the offending token's offset in `text`.
parse_result<schedule> parse_schedule(std::string_view text);

/// "at 0s: delay 50ms; at 10s up: loss 30%": parse_schedule reads it back
/// to an equal schedule.
std::string to_string(const schedule& s);

} // namespace tern::sim
