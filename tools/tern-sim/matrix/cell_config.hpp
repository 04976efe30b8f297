#pragma once

// A matrix row turned into simulator scenarios (tern-sim's packet-level
// bulk transfer): the cell itself and its unimpaired baseline.

#include "path_rows.hpp"
#include "scenario.hpp"

#include <cstdint>
#include <string>

namespace tern::matrix {

/// Datagram size of every matrix run, bytes (tern-sim's default).
inline constexpr std::size_t matrix_mtu = 1200;

/// Packets the bottleneck may hold: the packets in its delay line at the
/// full rate plus `queue_bdp` BDPs of queue (at least one packet). netem's
/// `limit` (and tern's model of it) counts packets waiting out their delay
/// too, so a limit of "one BDP" alone would leave no queue at all. A
/// path's fixed_limit, when set, is the limit.
std::uint32_t limit_packets(const base_path& path, std::size_t mtu = matrix_mtu);

/// The data direction's netem spec: "rate 100mbit delay 20ms [JITTER]
/// limit N [IMPAIRMENT]", with the rate given (the row's own, or a
/// schedule phase's).
std::string up_spec(const path_row& row, double rate_bps);

/// The return path's: "delay 20ms limit 100000 [IMPAIRMENT]" (a deep queue:
/// ACKs that bunch up are not an impairment of their own).
std::string down_spec(const path_row& row);

/// The row's rate phases as a tern-sim schedule ("" without phases): each
/// phase sets both directions, a blackout as `blackout`.
std::string schedule_text(const path_row& row);

/// The same row without its impairment: no impairment keywords, no jitter,
/// no rate changes, a queue of at least one BDP (and no fixed limit), and its competitors
/// replaced by flows of the controller under test (so a flow's share is
/// compared with its share among its own kind).
path_row unimpaired(const path_row& row);

/// The scenario of one run of `row` with controller `algorithm`: flows of
/// `algorithm` first, then the CUBIC competitors. The virtual time limit is
/// ten times the ideal transfer time plus 60 round trips, so a collapsed
/// cell ends with a (low) figure rather than running for an hour.
bulk::scenario_config scenario_for(const path_row& row, cc::algorithm algorithm, std::uint64_t seed);

} // namespace tern::matrix
