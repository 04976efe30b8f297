#include "fec_option.hpp"

#include <sstream>

namespace tern::connsim {

bool parse_fec_option(std::string_view text, fec::repair_policy_config& out) {
  if (text == "off" || text == "adaptive") {
    out.mode = text == "off" ? fec::repair_mode::off : fec::repair_mode::adaptive;
    return true;
  }
  constexpr std::string_view fixed = "fixed:";
  if (!text.starts_with(fixed)) return false;
  const std::string ratio_text(text.substr(fixed.size()));
  std::istringstream in(ratio_text);
  double ratio = 0;
  if (!(in >> ratio) || !in.eof() || !(ratio > 0) || ratio > 1) return false;
  out.mode = fec::repair_mode::fixed;
  out.fixed_ratio = ratio;
  return true;
}

std::string fec_option_text(const fec::repair_policy_config& config) {
  switch (config.mode) {
  case fec::repair_mode::off: return "off";
  case fec::repair_mode::adaptive: return "adaptive";
  case fec::repair_mode::fixed: {
    std::ostringstream o;
    o << "fixed:" << config.fixed_ratio;
    return o.str();
  }
  }
  return "?";
}

} // namespace tern::connsim
