// libFuzzer target for the netem spec and schedule parsers: any text yields
// either a value or an error naming the offending token, and a parsed value
// printed in canonical form reads back to the same value.
#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};

  if (auto spec = tern::sim::parse_netem_spec(text); spec.ok()) {
    const auto reparsed = tern::sim::parse_netem_spec(tern::sim::to_string(*spec));
    check(reparsed.ok() && *reparsed == *spec);
  }
  if (auto schedule = tern::sim::parse_schedule(text); schedule.ok()) {
    const auto reparsed = tern::sim::parse_schedule(tern::sim::to_string(*schedule));
    check(reparsed.ok() && *reparsed == *schedule);
  }
  return 0;
}
