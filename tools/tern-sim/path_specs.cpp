// Parsing and checking a run's path (path_specs.hpp).

#include "path_specs.hpp"

namespace tern::sim_cli {

std::string parse_path_specs(const std::string& link, const std::string& down, const std::string& schedule,
                             path_specs& out) {
  auto up_spec = sim::parse_netem_spec(link);
  if (!up_spec) return "--link: " + up_spec.error().message();
  auto down_spec = sim::parse_netem_spec(down);
  if (!down_spec) return "--down: " + down_spec.error().message();
  auto parsed = sim::parse_schedule(schedule);
  if (!parsed) return "--schedule: " + parsed.error().message();
  for (const auto& e : parsed->entries)
    if (!e.target.empty() && e.target != "up" && e.target != "down")
      return "--schedule: unknown target \"" + e.target + "\" (up, down or none for both)";
  out.up = *up_spec;
  out.down = *down_spec;
  out.schedule = std::move(*parsed);
  return {};
}

sim::schedule entries_for(const sim::schedule& s, std::string_view direction) {
  sim::schedule out = s.for_target(direction);
  for (auto& e : out.entries) e.target.clear();
  return out;
}

} // namespace tern::sim_cli
