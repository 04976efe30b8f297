// nat_table: RFC 4787 filtering with endpoint-independent mapping, and the
// permission timeout that makes keepalives matter.

#include "nat_table.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace tern;
using namespace tern::netem;
using namespace std::chrono_literals;

namespace {

endpoint at(const char* text) {
  auto e = parse_endpoint(text);
  REQUIRE(e);
  return *e;
}

const time_point t0{std::chrono::seconds(100)};

} // namespace

TEST_CASE("nat_table: nothing comes in before the inside has sent anything") {
  for (auto f : {nat_filtering::endpoint_independent, nat_filtering::address_dependent,
                 nat_filtering::address_and_port_dependent}) {
    nat_table t(f, 30s);
    CHECK_FALSE(t.permits(at("127.0.0.1:4000"), t0));
    CHECK(t.live_permissions(t0) == 0);
  }
}

TEST_CASE("nat_table: address-and-port-dependent filtering admits only the exact remote") {
  nat_table t(nat_filtering::address_and_port_dependent, 30s);
  t.on_outbound(at("127.0.0.1:4000"), t0);
  CHECK(t.permits(at("127.0.0.1:4000"), t0 + 1s));
  CHECK_FALSE(t.permits(at("127.0.0.1:4001"), t0 + 1s)); // same host, other port
  CHECK_FALSE(t.permits(at("127.0.0.2:4000"), t0 + 1s));
  CHECK(t.live_permissions(t0 + 1s) == 1);
}

TEST_CASE("nat_table: address-dependent filtering admits any port of a host the inside sent to") {
  nat_table t(nat_filtering::address_dependent, 30s);
  t.on_outbound(at("127.0.0.1:4000"), t0);
  CHECK(t.permits(at("127.0.0.1:4001"), t0 + 1s));
  CHECK_FALSE(t.permits(at("127.0.0.2:4000"), t0 + 1s));
}

TEST_CASE("nat_table: endpoint-independent filtering admits anyone while the mapping lives") {
  nat_table t(nat_filtering::endpoint_independent, 30s);
  t.on_outbound(at("127.0.0.1:4000"), t0);
  CHECK(t.permits(at("127.0.0.9:9"), t0 + 1s));
  CHECK_FALSE(t.permits(at("127.0.0.9:9"), t0 + 30s));
}

TEST_CASE(
    "nat_table: a permission expires without outbound traffic, outbound refreshes it, inbound does not") {
  nat_table t(nat_filtering::address_and_port_dependent, 30s);
  const auto peer = at("127.0.0.1:4000");
  t.on_outbound(peer, t0);
  CHECK(t.permits(peer, t0 + 29s));       // inbound at 29 s does not refresh...
  CHECK_FALSE(t.permits(peer, t0 + 30s)); // ...so the permission ends at 30 s
  t.on_outbound(peer, t0 + 31s);          // a keepalive reopens it
  CHECK(t.permits(peer, t0 + 60s));
  // Traffic to another remote keeps the mapping, not this permission.
  t.on_outbound(at("127.0.0.1:5000"), t0 + 70s);
  CHECK_FALSE(t.permits(peer, t0 + 71s));
  CHECK(t.live_permissions(t0 + 71s) == 1);
}

TEST_CASE("nat_table: filtering names") {
  CHECK(parse_nat_filtering("apdf") == nat_filtering::address_and_port_dependent);
  CHECK(parse_nat_filtering("adf") == nat_filtering::address_dependent);
  CHECK(parse_nat_filtering("eif") == nat_filtering::endpoint_independent);
  CHECK_FALSE(parse_nat_filtering("symmetric"));
  CHECK(to_string(nat_filtering::address_dependent) == "adf");
}
