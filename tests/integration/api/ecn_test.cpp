// ECN on real sockets (loopback keeps the codepoints the sender wrote):
// connections mark their packets ECT(0), count what arrives and report it in
// ACK_ECN frames; a relay that re-marks everything CE stands in for a
// congested router.

#include "fixture.hpp"
#include "support/skip.hpp"

#include <asio/ip/udp.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

namespace tern::test {
namespace {

// Forwards datagrams between one client and `server`, sending every one
// with the CE codepoint (IP_TOS on its own socket).
struct ce_relay {
  asio::ip::udp::socket socket;
  asio::ip::udp::endpoint server;
  asio::ip::udp::endpoint client;
  std::size_t forwarded = 0;

  ce_relay(asio::io_context& io, asio::ip::udp::endpoint server_at)
      : socket(io, {asio::ip::make_address("127.0.0.1"), 0}), server(server_at) {
    const int ce = 0x03;
    REQUIRE(::setsockopt(socket.native_handle(), IPPROTO_IP, IP_TOS, &ce, sizeof ce) == 0);
  }
  asio::awaitable<void> run() {
    std::vector<std::byte> buf(65536);
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buf), from, as_tuple);
      if (ec) co_return;
      if (from != server) client = from;
      std::error_code sec;
      socket.send_to(asio::buffer(buf.data(), n), from == server ? client : server, 0, sec);
      if (!sec) ++forwarded;
    }
  }
};

TEST_CASE("ecn on loopback: packets go out ECT(0), are counted on arrival, and marking survives validation") {
  loopback net;
  if (!net.client.info().ecn || !net.server.info().ecn) {
    tern::test::skip("the socket reports no ECN here");
    return;
  }
  const auto o = echo_transfer(net, net.server.local_endpoint(), 300'000);
  CHECK(o.server.ecn_ect0_received > 100);
  CHECK(o.client.ecn_ect0_received > 100);
  CHECK(o.server.ecn_ce_received == 0);
  CHECK(o.client.ecn_ce_reported == 0);
  CHECK(o.client.ecn_marking);
  CHECK(o.server.ecn_marking);
}

TEST_CASE("ecn on loopback: CE marks on the path are counted, reported back, and keep ECN validated") {
  config cc;
  cc.congestion = congestion_controller::cubic; // reacts to CE like to a loss
  loopback net(server_config(), cc);
  if (!net.client.info().ecn || !net.server.info().ecn) {
    tern::test::skip("the socket reports no ECN here");
    return;
  }
  ce_relay relay(net.io, net.server.local_endpoint());
  asio::co_spawn(net.io, relay.run(), asio::detached);
  const auto o = echo_transfer(net, relay.socket.local_endpoint(), 300'000, [&] { relay.socket.close(); });
  CHECK(relay.forwarded > 100);
  CHECK(o.server.ecn_ce_received > 100);
  CHECK(o.server.ecn_ect0_received == 0);
  CHECK(o.client.ecn_ce_reported > 100); // the server's ACK_ECN frames carried them back
  CHECK(o.client.ecn_marking);            // CE is a valid mark, not a failed validation
}

TEST_CASE("ecn off: nothing is marked and nothing is reported") {
  config sc = server_config();
  sc.ecn = false;
  config cc;
  cc.ecn = false;
  loopback net(sc, cc);
  const auto o = echo_transfer(net, net.server.local_endpoint(), 100'000);
  CHECK(o.server.ecn_ect0_received == 0);
  CHECK_FALSE(o.client.ecn_marking);
}

} // namespace
} // namespace tern::test
