#pragma once
// tern-sim's command-line units, shared by every mode: sizes, times and
// rates as the options take them.

#include <tern/time.hpp>

#include <cstdint>
#include <string>

namespace tern::sim_cli {

/// "100M", "1.5G", "64k", "1000": decimal units (k = 1000), as dd does with kB.
bool parse_bytes(const std::string& text, std::uint64_t& out);
/// "2s", "250ms", "500us", "3" (seconds); not negative.
bool parse_seconds(const std::string& text, tern::duration& out);
/// "4mbit", "500kbit", "2.5mbps" (bytes), "1000000": bits per second, tc units.
bool parse_rate(const std::string& text, std::uint64_t& out);

} // namespace tern::sim_cli
