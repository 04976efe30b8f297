#include "sim/topology.hpp"

namespace tern::sim {

point_to_point connect(simulator& sim, node_id a, node_id b, const netem_spec& a_to_b, const netem_spec& b_to_a,
                       const std::string& name) {
  const std::string prefix = name.empty() ? std::string{} : name + ".";
  point_to_point p{sim.add_link(a_to_b, prefix + "fwd"), sim.add_link(b_to_a, prefix + "bwd")};
  sim.add_route(a, b, {p.forward});
  sim.add_route(b, a, {p.backward});
  return p;
}

dumbbell make_dumbbell(simulator& sim, std::span<const dumbbell_pair> pairs, const netem_spec& forward,
                       const netem_spec& backward) {
  dumbbell d{sim.add_link(forward, "bottleneck.fwd"), sim.add_link(backward, "bottleneck.bwd"), {}, {}};
  const netem_spec perfect{};
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    const std::string n = std::to_string(i);
    const link_id af = p.access_forward == perfect ? no_id : sim.add_link(p.access_forward, "access" + n + ".fwd");
    const link_id ab = p.access_backward == perfect ? no_id : sim.add_link(p.access_backward, "access" + n + ".bwd");
    d.access_forward.push_back(af);
    d.access_backward.push_back(ab);
    std::vector<link_id> fwd, bwd;
    if (af != no_id) fwd.push_back(af);
    fwd.push_back(d.bottleneck_forward);
    bwd.push_back(d.bottleneck_backward);
    if (ab != no_id) bwd.push_back(ab);
    sim.add_route(p.left, p.right, std::move(fwd));
    sim.add_route(p.right, p.left, std::move(bwd));
  }
  return d;
}

} // namespace tern::sim
