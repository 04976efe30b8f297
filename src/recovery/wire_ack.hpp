#pragma once

// Conversion between recovery's ACK description (ack_info) and the wire
// codec's ACK frame. Recovery itself never includes this header: only the
// code that owns both packets and recovery (the connection, tern-sim) does.

#include "recovery/ack_ranges.hpp"
#include "recovery/loss_detector.hpp"
#include "wire/ack_frame.hpp"
#include "wire/packet_number.hpp"

namespace tern::recovery {

static_assert(max_ack_ranges == wire::max_ack_ranges, "recovery and wire disagree on the ACK range limit");
static_assert(max_unacknowledged_packets == wire::max_unacknowledged_packets,
              "recovery and wire disagree on the unacknowledged-packet limit");

/// The same ranges, ack delay and ECN counts as a wire ACK frame.
inline wire::ack_frame to_wire(const ack_info& ack) noexcept {
  wire::ack_frame f;
  for (const auto& r : ack.ranges()) f.ranges.push_back({r.smallest, r.largest});
  f.ack_delay = ack.ack_delay;
  if (ack.has_ecn) f.ecn = wire::ecn_counts{ack.ecn.ect0, ack.ecn.ect1, ack.ecn.ce};
  return f;
}

/// The same ranges, ack delay and ECN counts as an ack_info. A decoded frame
/// holds at most wire::max_ack_ranges ranges, so nothing is dropped.
inline ack_info from_wire(const wire::ack_frame& f) noexcept {
  ack_info a;
  for (const auto& r : f.ranges.ranges()) a.push_back({r.smallest, r.largest});
  a.ack_delay = f.ack_delay;
  if (f.ecn) {
    a.has_ecn = true;
    a.ecn = {f.ecn->ect0, f.ecn->ect1, f.ecn->ce};
  }
  return a;
}

} // namespace tern::recovery
