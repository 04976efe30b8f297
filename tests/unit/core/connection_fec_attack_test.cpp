// A hostile peer's REPAIR frames (docs/security.md, "Bounds"): repair
// rebuilds packets the peer sent and this side missed, never packets it
// could not have sent. A rebuilt packet's number is below the number of
// the packet that carried its repair (repair goes behind its block), so a
// block placed ahead of everything received, up to past the largest packet
// number there is (2^62 - 1), rebuilds nothing: the packet number space,
// and the packet number expansion that depends on it, stay the peer's
// real one.

#include "harness.hpp"
#include "support/connection_test_access.hpp"

#include "fec/block_encoder.hpp"
#include "wire/varint.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

std::pair<connection_config, connection_config> fixed_repair_configs() {
  auto configs = pinned_configs();
  configs.first.fec = fec::repair_policy_config{fec::repair_mode::fixed, 0.5, 0.5};
  configs.second.fec = configs.first.fec;
  return configs;
}

/// REPAIR frames, encoded, of a block whose sources are packets `numbers`
/// (increasing, within one block span), each a PING: what a peer sends to
/// make the receiver rebuild packets it never sent.
std::vector<std::byte> forged_repair(std::initializer_list<std::uint64_t> numbers) {
  fec::block_encoder encoder;
  const std::array<std::byte, 1> ping{std::byte{0x01}};
  for (const std::uint64_t n : numbers) REQUIRE(encoder.add_source(n, ping));
  encoder.close_block(numbers.size());
  std::vector<std::byte> frames;
  while (const wire::repair_frame* f = encoder.next_repair()) {
    const auto bytes = encode_frame(*f);
    frames.insert(frames.end(), bytes.begin(), bytes.end());
    encoder.pop_repair();
  }
  return frames;
}

/// After the forged repair, the connection still carries a message from
/// the attacker's side: its later packets are still expanded to their real
/// numbers.
void check_still_carries_data(network& net) {
  std::error_code ec;
  const auto message = pattern(3000, 5);
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec));
  const auto got = receive_message_event(net);
  CHECK(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
}

} // namespace

namespace {

/// A forged block whose sources are packets `numbers`, none ever sent,
/// rebuilds nothing, and the connection goes on carrying data.
void check_block_ahead_rebuilds_nothing(std::initializer_list<std::uint64_t> numbers) {
  network net(fixed_repair_configs());
  settle_after_handshake(net);
  connection_test_access::inject_frames(*net.client, forged_repair(numbers));
  net.run_until([&] { return !connection_test_access::injected_pending(*net.client); }, 1s);
  net.run_until([] { return false; }, 500ms);
  CHECK(net.server->stats().fec_packets_recovered == 0);
  REQUIRE(net.server->state() == connection_state::established);
  check_still_carries_data(net);
}

} // namespace

TEST_CASE("fec attack: repair for packet numbers past 2^62 - 1 rebuilds nothing") {
  check_block_ahead_rebuilds_nothing({wire::varint_max, wire::varint_max + 1});
}

TEST_CASE("fec attack: repair for packet numbers far ahead of any received rebuilds nothing") {
  const std::uint64_t ahead = std::uint64_t{1} << 40;
  check_block_ahead_rebuilds_nothing({ahead, ahead + 3});
}

TEST_CASE("fec attack: a rebuilt packet's own REPAIR frames rebuild nothing more") {
  // A source packet never carries REPAIR (repair goes in packets of its
  // own), so a REPAIR inside a rebuilt packet is the peer nesting blocks:
  // each level would cost another decode for no byte on the wire, a chain
  // of them about packet size / frame overhead decodes per packet.
  network net(fixed_repair_configs());
  settle_after_handshake(net);
  const std::array<std::byte, 1> ping{std::byte{0x01}};
  // Two packet numbers the server never receives.
  const std::uint64_t outer = connection_test_access::sender(*net.client).next_packet_number();
  net.hook = [](bool to_server, std::vector<std::byte>&) { return !to_server; };
  for (int i = 0; i < 2; ++i) {
    connection_test_access::inject_frames(*net.client, ping);
    REQUIRE(net.run_until([&] { return !connection_test_access::injected_pending(*net.client); }, 1s));
  }
  const std::uint64_t inner = outer + 1;
  REQUIRE(connection_test_access::sender(*net.client).next_packet_number() > inner);
  net.hook = nullptr;
  connection_test_access::inject_frames(*net.client, ping);
  net.run_until([] { return false; }, 1s);

  // The outer block's one source is a packet holding the inner block's repair.
  const std::vector<std::byte> inner_repair = forged_repair({inner});
  fec::block_encoder encoder;
  REQUIRE(encoder.add_source(outer, inner_repair));
  encoder.close_block(1);
  REQUIRE(encoder.next_repair() != nullptr);
  connection_test_access::inject_frames(*net.client, encode_frame(*encoder.next_repair()));
  net.run_until([&] { return !connection_test_access::injected_pending(*net.client); }, 1s);
  net.run_until([] { return false; }, 500ms);
  CHECK(net.server->stats().fec_packets_recovered == 1);
  CHECK(net.server->state() == connection_state::established);
}
