#pragma once

// What a netem link can carry at all, whatever the sender: the rate at
// which it delivers packets to a sender that keeps its queue full (offers
// a packet whenever fewer than `limit` are held, so nothing is dropped at
// the limit). netem computes a packet's departure as max(now + delay,
// previous departure) + its transmission time (sim/link.cpp), so a deeper
// backlog can only bring departures forward: no sender does better. On a
// clean link this is the rate; jitter larger than the queue can hold
// idles the link whenever a long delay draw finds the backlog shorter than
// itself, and then it is less (the matrix's capacity reference, see
// path_rows.hpp, reference).

#include "sim/netem_spec.hpp"

#include <cstddef>
#include <cstdint>

namespace tern::matrix {

/// Delivered bytes per second over the link's nominal rate, for `packets`
/// deliveries of `payload_bytes` each after a first `limit` of them (the
/// first queueful meets an empty link; timed from the first departure after
/// it to the last; lost packets count as not delivered). 1 for a link without a
/// rate (nothing to saturate). `seed` seeds the link's draws.
double saturated_link_fraction(const sim::netem_spec& spec, std::uint64_t seed, std::size_t packets,
                               std::size_t payload_bytes);

} // namespace tern::matrix
