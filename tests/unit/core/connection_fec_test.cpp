// Forward error correction at the connection level (docs/fec.md): a lost
// packet of a deadline message is rebuilt by the receiver from the REPAIR
// frames behind its block, delivered without waiting a round trip, and not
// retransmitted; a clean path carries no repair beyond the prior's
// (close deadlines, first packets); malformed REPAIR frames close the
// connection like any malformed frame.

#include "harness.hpp"
#include "support/connection_test_access.hpp"

#include <cmath>
#include <functional>

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

void settle(network& net) { settle_after_handshake(net); }

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
  const auto got = receive_message_event(net);
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
  // The peer's report told congestion control of the loss repair hid.
  CHECK(client.fec_peer_packets_recovered == 1);
  CHECK(client.fec_repaired_losses == 1);
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
  const auto got = receive_message_event(net);
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  CHECK(net.client->stats().message_retransmissions > 0);
}

TEST_CASE("connection fec: adaptive repair stays off on a clean path and starts once the peer reports loss") {
  auto configs = pinned_configs(); // adaptive is the default
  network net(configs);
  settle(net);
  std::error_code ec;
  // A 1 s deadline is 10 RTTs here: beyond the prior's reach, so repair
  // waits for measured loss.
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

// --- per-flow choice (docs/fec.md, "Per flow") ------------------------------

namespace {

message_flow_options flow_fec(std::optional<fec_mode> mode, double ratio = 0.25) {
  message_flow_options o;
  o.ordered = false;
  o.fec = mode;
  o.fec_fixed_ratio = ratio;
  return o;
}

message_options on_flow(std::uint8_t flow) {
  message_options o;
  o.flow = flow;
  return o;
}

/// Drops the `nth` full-size datagram to the server (counting from 1).
std::function<bool(bool, std::vector<std::byte>&)> drop_big_to_server(int nth, int& seen) {
  return [&seen, nth](bool to_server, std::vector<std::byte>& bytes) {
    return !(to_server && bytes.size() > 1000 && ++seen == nth);
  };
}

} // namespace

TEST_CASE("connection fec: a flow with FEC off never gets repair, even when the connection's default is fixed") {
  network net(fixed_ratio_configs(0.5));
  settle(net);
  REQUIRE_FALSE(net.client->configure_message_flow(1, flow_fec(fec_mode::off)));
  int seen = 0;
  net.hook = drop_big_to_server(2, seen);
  std::error_code ec;
  const auto message = pattern(6000, 5);
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec, on_flow(1)));
  const auto got = receive_message_event(net);
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  net.run_until([] { return false; }, 1s);
  CHECK(net.client->stats().fec_repair_packets_sent == 0);
  CHECK(net.server->stats().fec_packets_recovered == 0);
  CHECK(net.client->stats().message_retransmissions > 0); // the loss cost a round trip
}

TEST_CASE("connection fec: a flow that asks for fixed repair gets it on a connection whose default is off") {
  auto configs = pinned_configs();
  configs.first.fec.mode = fec::repair_mode::off; // the sender's default; the receiver keeps adaptive
  network net(configs);
  settle(net);
  REQUIRE_FALSE(net.client->configure_message_flow(2, flow_fec(fec_mode::fixed, 0.5)));
  int seen = 0;
  net.hook = drop_big_to_server(2, seen);
  std::error_code ec;
  const auto message = pattern(6000, 6);
  const time_point sent = net.now;
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec, on_flow(2)));
  const auto got = receive_message_event(net);
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  CHECK(net.now - sent < 100ms); // rebuilt, not retransmitted
  net.run_until([] { return false; }, 1s);
  CHECK(net.client->stats().fec_repair_packets_sent >= 1);
  CHECK(net.server->stats().fec_packets_recovered == 1);
  CHECK(net.client->stats().message_retransmissions == 0);
  // The same connection's default flow stays unprotected.
  REQUIRE(net.client->send_message(pattern(6000, 7), net.now + 2s, net.now, ec));
  const auto before = net.client->stats().fec_repair_packets_sent;
  (void)receive_message_event(net);
  net.run_until([] { return false; }, 1s);
  CHECK(net.client->stats().fec_repair_packets_sent == before);
}

TEST_CASE("connection fec: with a protected and an unprotected flow at once, only the protected flow's packets are sources") {
  network net(fixed_ratio_configs(0.5));
  settle(net);
  REQUIRE_FALSE(net.client->configure_message_flow(1, flow_fec(fec_mode::off)));
  REQUIRE_FALSE(net.client->configure_message_flow(2, flow_fec(std::nullopt))); // inherits fixed 0.5
  std::error_code ec;
  // About 26 packets of unprotected data and 5 of protected data, queued
  // together so packets may mix them.
  REQUIRE(net.client->send_message(pattern(30000, 8), net.now + 2s, net.now, ec, on_flow(1)));
  REQUIRE(net.client->send_message(pattern(5000, 9), net.now + 2s, net.now, ec, on_flow(2)));
  int delivered = 0;
  REQUIRE(net.run_until(
      [&] {
        while (auto e = net.server->receive_message(net.now))
          if (e->what == stream::message_event::kind::delivered) ++delivered;
        return delivered == 2;
      },
      3s));
  const auto sent = net.client->stats().fec_repair_packets_sent;
  CHECK(sent >= 3);
  // Half a repair per source: at most 5 protected packets plus the one
  // or two that mix both flows, not the unprotected flow's 26.
  CHECK(sent <= 4);
}

TEST_CASE("connection fec: a flow's fixed ratio outside 0 to 1 (0 excluded) is refused") {
  network net(pinned_configs());
  settle(net);
  CHECK(net.client->configure_message_flow(1, flow_fec(fec_mode::fixed, 0.0)) == std::errc::invalid_argument);
  CHECK(net.client->configure_message_flow(1, flow_fec(fec_mode::fixed, 1.5)) == std::errc::invalid_argument);
  CHECK(net.client->configure_message_flow(1, flow_fec(fec_mode::fixed, std::nan(""))) ==
        std::errc::invalid_argument);
  CHECK_FALSE(net.client->configure_message_flow(1, flow_fec(fec_mode::fixed, 1.0)));
  CHECK_FALSE(net.client->configure_message_flow(1, flow_fec(fec_mode::off, 0.0))); // the ratio is not used
}

// --- before any measurement (docs/fec.md, "Before the first reports") ------

namespace {

/// Sends `count` 5000-byte messages 33 ms apart with a 250 ms deadline:
/// 2.5 RTTs of the pinned path, within the prior's reach (docs/fec.md,
/// "Before the first reports").
void send_close_deadline_frames(network& net, int count, std::uint64_t seed) {
  std::error_code ec;
  for (int i = 0; i < count; ++i) {
    REQUIRE(net.client->send_message(pattern(5000, seed + static_cast<std::uint64_t>(i)), net.now + 250ms, net.now, ec));
    net.run_until([&] { while (net.server->receive_message(net.now)) {} return false; }, 33ms);
  }
}

} // namespace

TEST_CASE("connection fec: close deadlines get the prior's repair from the first packet, none once the path shows clean") {
  network net(pinned_configs());
  settle(net);
  send_close_deadline_frames(net, 1, 200);
  CHECK(net.client->stats().fec_repair_packets_sent > 0);
  CHECK(net.client->stats().fec_path_loss_rate == 0); // the prior is not a measurement
  send_close_deadline_frames(net, 100, 300); // about 500 packets, all arriving
  const auto after_evidence = net.client->stats().fec_repair_packets_sent;
  CHECK(after_evidence < 100);
  send_close_deadline_frames(net, 60, 600);
  CHECK(net.client->stats().fec_repair_packets_sent == after_evidence);
}

TEST_CASE("connection fec: a loss in the first frame, before anything was measured, is rebuilt, not retransmitted") {
  network net(pinned_configs());
  settle(net);
  int seen = 0;
  net.hook = drop_big_to_server(2, seen);
  send_close_deadline_frames(net, 1, 200);
  net.run_until([] { return false; }, 1s);
  REQUIRE(seen >= 2);
  CHECK(net.server->stats().fec_packets_recovered == 1);
  CHECK(net.client->stats().message_retransmissions == 0);
}
