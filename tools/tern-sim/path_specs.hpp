#pragma once

// A run's path as the command line gives it: the netem spec of each
// direction and a schedule of changes (sim/schedule.hpp), parsed and
// checked once for every tern-sim scenario that takes them.

#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"

#include <string>
#include <string_view>

namespace tern::sim_cli {

struct path_specs {
  sim::netem_spec up;   ///< the data direction (--link)
  sim::netem_spec down; ///< the return path (--down; unimpaired when empty)
  sim::schedule schedule;
};

/// Parses --link, --down and --schedule. Returns an error message naming the
/// option (empty on success); schedule entries may target "up", "down" or
/// nothing (both).
std::string parse_path_specs(const std::string& link, const std::string& down, const std::string& schedule,
                             path_specs& out);

/// The schedule's entries for one direction ("up" or "down"), untargeted so
/// that they apply to the simulator's link whatever its name.
sim::schedule entries_for(const sim::schedule& s, std::string_view direction);

} // namespace tern::sim_cli
