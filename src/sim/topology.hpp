#pragma once

#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"

#include <span>
#include <vector>

namespace tern::sim {

/// The two links of a point-to-point path.
struct point_to_point {
  link_id forward;  ///< a -> b
  link_id backward; ///< b -> a
};

/// Joins `a` and `b` with one link per direction and the two routes.
/// Links are named "<name>.fwd" / "<name>.bwd" ("fwd"/"bwd" without a name).
point_to_point connect(simulator& sim, node_id a, node_id b, const netem_spec& a_to_b, const netem_spec& b_to_a,
                       const std::string& name = {});

/// One sender/receiver pair of a dumbbell, with optional access links on
/// the left side (a perfect default spec means no access link: the pair
/// reaches the bottleneck directly).
struct dumbbell_pair {
  node_id left;
  node_id right;
  netem_spec access_forward;  ///< left -> bottleneck (e.g. a per-flow delay)
  netem_spec access_backward; ///< bottleneck -> left
};

/// A dumbbell's links.
struct dumbbell {
  link_id bottleneck_forward;  ///< shared by every left -> right route ("bottleneck.fwd")
  link_id bottleneck_backward; ///< shared by every right -> left route ("bottleneck.bwd")
  std::vector<link_id> access_forward;  ///< per pair; no_id when the pair has none
  std::vector<link_id> access_backward; ///< per pair; no_id when the pair has none
};

/// Builds a dumbbell: every pair's traffic crosses the same bottleneck link
/// in each direction, so flows compete for its rate and queue.
dumbbell make_dumbbell(simulator& sim, std::span<const dumbbell_pair> pairs, const netem_spec& forward,
                       const netem_spec& backward);

} // namespace tern::sim
