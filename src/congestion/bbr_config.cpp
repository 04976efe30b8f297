#include "congestion/bbr_config.hpp"

namespace tern::cc {

std::optional<bbr_startup_mode> parse_bbr_startup_mode(std::string_view name) noexcept {
  if (name == "standard") return bbr_startup_mode::standard;
  if (name == "model") return bbr_startup_mode::window_follows_model;
  if (name == "jump") return bbr_startup_mode::jump;
  return std::nullopt;
}

std::string_view to_string(bbr_startup_mode m) noexcept {
  switch (m) {
  case bbr_startup_mode::standard:
    return "standard";
  case bbr_startup_mode::window_follows_model:
    return "model";
  case bbr_startup_mode::jump:
    return "jump";
  }
  return "unknown";
}

} // namespace tern::cc
