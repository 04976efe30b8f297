#include <doctest/doctest.h>

#include "stun/mapped_address_monitor.hpp"

using namespace tern::stun;
using change = mapped_address_monitor::change;

TEST_CASE("mapped_address_monitor: first, unchanged, then rebinding and a new NAT are changes") {
  mapped_address_monitor mon;
  CHECK_FALSE(mon.current());
  const auto a = transport_address::ipv4({198, 51, 100, 1}, 40000);
  const auto rebound = transport_address::ipv4({198, 51, 100, 1}, 40001);
  const auto new_nat = transport_address::ipv4({203, 0, 113, 9}, 40001);
  CHECK(mon.on_discovery(a) == change::first);
  CHECK(mon.on_discovery(a) == change::unchanged);
  CHECK(mon.changes() == 0);
  CHECK(mon.on_discovery(rebound) == change::changed);
  CHECK(*mon.previous() == a);
  CHECK(*mon.current() == rebound);
  CHECK(mon.on_discovery(new_nat) == change::changed);
  CHECK(*mon.previous() == rebound);
  CHECK(mon.changes() == 2);
  CHECK(mon.on_discovery(new_nat) == change::unchanged);
  mon.reset();
  CHECK_FALSE(mon.current());
  CHECK(mon.on_discovery(a) == change::first);
}
