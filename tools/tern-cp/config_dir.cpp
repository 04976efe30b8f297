#include "config_dir.hpp"

#include <cstdlib>

namespace tern_cp {

std::string config_dir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && xdg[0] == '/')
    return std::string(xdg) + "/tern";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/tern";
}

} // namespace tern_cp
