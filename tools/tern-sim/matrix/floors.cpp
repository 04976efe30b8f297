#include "floors.hpp"

#include <cstdio>

namespace tern::matrix {
namespace {

std::string describe(const char* format, double value, double floor) {
  char text[160];
  std::snprintf(text, sizeof text, format, value, floor);
  return text;
}

} // namespace

verdict judge(const cell_summary& cell, const floors& f) {
  verdict v;
  const auto miss = [&](std::string why) {
    v.pass = false;
    v.failures.push_back(std::move(why));
  };
  if (!(cell.reference_ratio_median >= f.goodput_vs_reference))
    miss(describe("goodput %.3g of the reference (median) < %.3g", cell.reference_ratio_median,
                  f.goodput_vs_reference));
  if (!(cell.reference_ratio_min >= f.goodput_worst))
    miss(describe("goodput %.3g of the reference (worst seed) < %.3g", cell.reference_ratio_min,
                  f.goodput_worst));
  if (cell.drops_are_own && !(cell.drop_fraction_max <= f.self_drop_fraction))
    miss(describe("self-caused queue drops %.3g%% of packets (worst seed) > %.3g%%",
                  cell.drop_fraction_max * 100, f.self_drop_fraction * 100));
  if (cell.jain_min && !(*cell.jain_min >= f.jain))
    miss(describe("Jain's index %.3g (worst seed) < %.3g", *cell.jain_min, f.jain));
  return v;
}

} // namespace tern::matrix
