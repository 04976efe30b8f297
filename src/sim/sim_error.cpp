#include "sim/sim_error.hpp"

namespace tern::sim {

namespace {

class sim_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.sim"; }
  std::string message(int ev) const override {
    switch (static_cast<sim_errc>(ev)) {
    case sim_errc::bad_spec: return "bad netem spec";
    case sim_errc::bad_schedule: return "bad netem schedule";
    case sim_errc::unknown_node: return "unknown simulator node";
    case sim_errc::unknown_link: return "unknown simulator link";
    case sim_errc::address_in_use: return "simulator address already in use";
    case sim_errc::bad_route: return "bad simulator route";
    }
    return "unknown tern.sim error";
  }
};

} // namespace

const std::error_category& sim_category() noexcept {
  static const sim_category_impl instance;
  return instance;
}

std::string parse_error::message() const {
  std::string out = code ? code.message() : std::string{"parse error"};
  out += ": ";
  if (token.empty()) {
    out += "unexpected end of input";
  } else {
    out += '"';
    out += token;
    out += '"';
  }
  out += " at offset ";
  out += std::to_string(position);
  if (!expected.empty()) {
    out += ": expected ";
    out += expected;
  }
  return out;
}

} // namespace tern::sim
