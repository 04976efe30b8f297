#pragma once

// tern-sim's forward error correction option (docs/fec.md): --fec off |
// adaptive | fixed:RATIO, and the figures a media run reports about it.

#include "fec/repair_policy.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::connsim {

/// Parses "off", "adaptive" or "fixed:RATIO" (0 < RATIO <= 1) into `out`;
/// false, leaving `out` alone, for anything else.
bool parse_fec_option(std::string_view text, fec::repair_policy_config& out);
/// The option's text form, for the JSON output.
std::string fec_option_text(const fec::repair_policy_config& config);

/// Repair as a media run saw it: the sender's REPAIR packets and bytes, the
/// receiver's rebuilt packets, repair bytes per media byte sent.
struct fec_result {
  std::uint64_t repair_packets = 0;
  std::uint64_t repair_bytes = 0;
  std::uint64_t packets_recovered = 0;
  double overhead = 0;
  double reported_loss_rate = 0;
};

} // namespace tern::connsim
