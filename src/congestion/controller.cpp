#include "congestion/controller.hpp"

#include "congestion/bbr.hpp"
#include "congestion/cubic.hpp"
#include "congestion/new_reno.hpp"

namespace tern::cc {

std::optional<algorithm> parse_algorithm(std::string_view name) noexcept {
  if (name == "bbr") return algorithm::bbr;
  if (name == "cubic") return algorithm::cubic;
  if (name == "newreno" || name == "new_reno" || name == "reno") return algorithm::new_reno;
  return std::nullopt;
}

std::string_view to_string(algorithm a) noexcept {
  switch (a) {
  case algorithm::bbr:
    return "bbr";
  case algorithm::cubic:
    return "cubic";
  case algorithm::new_reno:
    return "newreno";
  }
  return "unknown";
}

std::unique_ptr<controller> make_controller(algorithm a, const controller_config& config,
                                            random_source& rng) {
  switch (a) {
  case algorithm::bbr:
    return std::make_unique<bbr>(config, config.bbr, rng);
  case algorithm::cubic:
    return std::make_unique<cubic>(config);
  case algorithm::new_reno:
    return std::make_unique<new_reno>(config);
  }
  return std::make_unique<new_reno>(config);
}

} // namespace tern::cc
