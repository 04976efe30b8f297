// Path MTU discovery on a real socket: loopback carries far more than
// config::max_datagram_size, so the search must end there after one probe,
// and a connection configured without room to grow must never probe.

#include "fixture.hpp"

namespace tern::test {
namespace {

TEST_CASE("path mtu on loopback: connections grow to max_datagram_size after one probe each") {
  loopback net;
  const auto r = echo_transfer(net, net.server.local_endpoint(), 400'000);
  CHECK(r.client.datagram_size == config{}.max_datagram_size);
  CHECK(r.client.mtu_probes_sent == 1);
  CHECK(r.client.mtu_probes_lost == 0);
  CHECK(r.server.datagram_size == config{}.max_datagram_size);
  CHECK(r.server.mtu_probes_sent == 1);
}

TEST_CASE("path mtu on loopback: a larger configured maximum is found as well") {
  config sc = server_config();
  sc.max_datagram_size = 8000;
  config cc;
  cc.max_datagram_size = 8000;
  loopback net(sc, cc);
  const auto r = echo_transfer(net, net.server.local_endpoint(), 400'000);
  CHECK(r.client.datagram_size == 8000);
  CHECK(r.server.datagram_size == 8000);
}

TEST_CASE("path mtu on loopback: max_datagram_size equal to the initial size disables probing") {
  config sc = server_config();
  sc.max_datagram_size = 1200;
  config cc;
  cc.max_datagram_size = 1200;
  loopback net(sc, cc);
  const auto r = echo_transfer(net, net.server.local_endpoint(), 100'000);
  CHECK(r.client.datagram_size == 1200);
  CHECK(r.client.mtu_probes_sent == 0);
  CHECK(r.server.mtu_probes_sent == 0);
}

} // namespace
} // namespace tern::test
