// Forward error correction at the connection level (docs/fec.md): a lost
// packet of a deadline message is rebuilt by the receiver from the REPAIR
// frames behind its block, delivered without waiting a round trip, and not
// retransmitted; a clean path carries no repair; malformed REPAIR frames
// close the connection like any malformed frame.

#include "harness.hpp"
#include "support/connection_test_access.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

void settle(network& net) { settle_after_handshake(net); }

/// Runs until the server has the next message event (3 s at most).
stream::message_event receive_one(network& net) {
  std::optional<stream::message_event> got;
  REQUIRE(net.run_until(
      [&] {
        if (!got) got = net.server->receive_message(net.now);
        return got.has_value();
      },
      3s));
  return *got;
}

std::pair<connection_config, connection_config> fixed_ratio_configs(double ratio) {
  auto configs = pinned_configs();
  configs.first.fec = fec::repair_policy_config{fec::repair_mode::fixed, ratio, 0.5};
  configs.second.fec = configs.first.fec;
  return configs;
}

} // namespace

TEST_CASE("connection fec: a lost packet of a message is rebuilt from repair, within the one-way delay, not retransmitted") {
  network net(fixed_ratio_configs(0.5));
  settle(net);
  int big_to_server = 0;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
    // The second full packet of the message never arrives.
    return !(to_server && bytes.size() > 1000 && ++big_to_server == 2);
  };
  std::error_code ec;
  const auto message = pattern(6000, 3);
  const time_point sent = net.now;
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec));
  const auto got = receive_one(net);
  REQUIRE(big_to_server >= 2);
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  // One way is 50 ms; a retransmission would need at least 150 ms.
  CHECK(net.now - sent < 100ms);
  net.run_until([] { return false; }, 1s);
  const auto server = net.server->stats();
  const auto client = net.client->stats();
  CHECK(server.fec_packets_recovered == 1);
  CHECK(client.fec_repair_packets_sent >= 1);
  CHECK(client.fec_repair_bytes_sent > 0);
  CHECK(client.message_retransmissions == 0);
}

TEST_CASE("connection fec: more losses than repair leave the rest to retransmission, and the message still arrives") {
  network net(fixed_ratio_configs(0.2));
  settle(net);
  int big_to_server = 0;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
    if (!(to_server && bytes.size() > 1000)) return true;
    ++big_to_server;
    return big_to_server != 2 && big_to_server != 3 && big_to_server != 4; // three in a row
  };
  std::error_code ec;
  const auto message = pattern(9000, 4);
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec));
  const auto got = receive_one(net);
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  CHECK(net.client->stats().message_retransmissions > 0);
}

TEST_CASE("connection fec: adaptive repair stays off on a clean path and starts once the peer reports loss") {
  auto configs = pinned_configs(); // adaptive is the default
  network net(configs);
  settle(net);
  std::error_code ec;
  auto send_frames = [&](int count, std::uint64_t seed) {
    for (int i = 0; i < count; ++i) {
      REQUIRE(net.client->send_message(pattern(5000, seed + static_cast<std::uint64_t>(i)), net.now + 1s, net.now, ec));
      net.run_until([&] { while (net.server->receive_message(net.now)) {} return false; }, 33ms);
    }
  };
  send_frames(60, 100);
  CHECK(net.client->stats().fec_repair_packets_sent == 0);
  CHECK(net.client->stats().fec_path_loss_rate == 0);
  net.loss = 0.05;
  send_frames(150, 1000);
  const auto s = net.client->stats();
  CHECK(s.fec_path_loss_rate > 0.01);
  CHECK(s.fec_repair_packets_sent > 0);
  CHECK(net.server->stats().fec_packets_recovered > 0);
  CHECK(net.client->state() == connection_state::established);
}

TEST_CASE("connection fec: a REPAIR frame outside the bounds closes the connection with FRAME_ENCODING_ERROR") {
  network net(pinned_configs());
  REQUIRE(net.handshake());
  std::vector<std::byte> symbol(10);
  connection_test_access::inject_frames(*net.client, encode_frame(wire::repair_frame{5, 1, 1, 0, symbol}));
  // A well-formed one is taken (and leads nowhere: its block is unknown).
  net.run_until([] { return false; }, 200ms);
  REQUIRE(net.server->state() == connection_state::established);
  // The same frame with its mask's bit 0 clear, written by hand.
  std::vector<std::byte> bad = encode_frame(wire::repair_frame{5, 1, 1, 0, symbol});
  bad[1 + 1 + 7] = std::byte{2}; // first packet 5 is one varint byte; the mask's last byte
  connection_test_access::inject_frames(*net.client, bad);
  REQUIRE(net.run_until([&] { return net.server->state() != connection_state::established; }, 5s));
  CHECK(net.server->close_reason().code == static_cast<std::uint64_t>(wire::transport_error::frame_encoding_error));
}
