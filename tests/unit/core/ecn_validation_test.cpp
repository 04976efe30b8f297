// core::ecn_validation (src/core/ecn_validation.hpp): marks that the
// peer's ACKs do not account for make validation fail for good.

#include "core/ecn_validation.hpp"

#include <doctest/doctest.h>

namespace tern::core {

TEST_CASE("ecn_validation: packets from the first marked one on count as marked until failure") {
  ecn_validation v;
  CHECK_FALSE(v.was_marked(0));
  v.on_marked_sent(5);
  v.on_marked_sent(9); // the first one counts
  CHECK_FALSE(v.was_marked(4));
  CHECK(v.was_marked(5));
  CHECK(v.was_marked(100));
  v.on_ack(std::nullopt, 1);
  CHECK(v.failed());
  CHECK_FALSE(v.was_marked(100));
}

TEST_CASE("ecn_validation: counts that grow with the marked packets pass, CE counts as delivered") {
  ecn_validation v;
  v.on_marked_sent(0);
  v.on_ack(wire::ecn_counts{2, 0, 0}, 2);
  CHECK_FALSE(v.failed());
  v.on_ack(wire::ecn_counts{3, 0, 1}, 2);
  CHECK_FALSE(v.failed());
  CHECK(v.peer_ce() == 1);
  // A late ACK with smaller counts and nothing newly marked changes nothing.
  v.on_ack(wire::ecn_counts{1, 0, 0}, 0);
  CHECK_FALSE(v.failed());
  CHECK(v.peer_ce() == 1);
}

TEST_CASE("ecn_validation: counts that grow by less than the newly marked packets fail validation") {
  ecn_validation v;
  v.on_marked_sent(0);
  v.on_ack(wire::ecn_counts{2, 0, 0}, 2);
  v.on_ack(wire::ecn_counts{3, 0, 0}, 2); // bleached: one mark lost
  CHECK(v.failed());
}

} // namespace tern::core
