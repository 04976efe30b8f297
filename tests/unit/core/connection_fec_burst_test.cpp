// A hand-written burst on the link (docs/fec.md, "Retransmission"): which
// lost packets repair rebuilds and which are retransmitted, counted. Two
// messages, each one block of 8 source packets with 4 repair packets behind
// it (fixed ratio 0.5): a burst of 4 consecutive source packets in the first
// is within the code's strength and is rebuilt, nothing retransmitted; a
// burst of 6 in the second is beyond it, so repair rebuilds none of them
// (a Reed-Solomon block decodes whole or not at all) and exactly those 6
// packets' fragments are retransmitted, once each.

#include "harness.hpp"

#include <set>

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

constexpr std::size_t message_bytes = 8 * 1100; // 8 full packets at the harness's 1200-byte datagrams

/// Drops the full-size datagrams to the server whose position (counting
/// from 1, per message: reset before each) is in `burst`.
struct burst_dropper {
  std::set<int> burst;
  int seen = 0;
  int dropped = 0;

  bool operator()(bool to_server, const std::vector<std::byte>& bytes) {
    if (!to_server || bytes.size() < 1000) return true;
    if (!burst.contains(++seen)) return true;
    ++dropped;
    return false;
  }
};

/// Sends one message of `message_bytes` whose full-size datagrams at the
/// positions in `burst` are dropped; returns how long it took to arrive.
duration send_through_burst(network& net, burst_dropper& drop, std::set<int> burst, std::uint64_t seed) {
  drop = burst_dropper{std::move(burst)};
  std::error_code ec;
  const auto message = pattern(message_bytes, seed);
  const time_point sent = net.now;
  REQUIRE(net.client->send_message(message, net.now + 2s, net.now, ec));
  const auto got = receive_message_event(net);
  const duration took = net.now - sent;
  REQUIRE(got.what == stream::message_event::kind::delivered);
  CHECK(got.data == message);
  net.run_until([] { return false; }, 1s);
  REQUIRE(drop.dropped == static_cast<int>(drop.burst.size()));
  return took;
}

} // namespace

TEST_CASE("connection fec: a burst within the repair is rebuilt, a longer one is retransmitted packet for packet") {
  auto configs = pinned_configs();
  configs.first.fec = fec::repair_policy_config{fec::repair_mode::fixed, 0.5, 0.5};
  configs.second.fec = configs.first.fec;
  network net(configs);
  settle_after_handshake(net);
  burst_dropper drop;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) { return drop(to_server, bytes); };

  // Sources 2-5 of the first block: four losses, four repair symbols. One
  // way is 50 ms; a retransmission needs 150 ms more.
  CHECK(send_through_burst(net, drop, {2, 3, 4, 5}, 11) < 100ms);
  const auto repair_per_block = net.client->stats().fec_repair_packets_sent;
  CHECK(repair_per_block == 4);
  CHECK(net.server->stats().fec_packets_recovered == 4);
  CHECK(net.client->stats().message_retransmissions == 0);
  CHECK(net.client->stats().fec_peer_packets_recovered == 4);
  CHECK(net.client->stats().packets_lost == net.client->stats().spurious_retransmits); // repair's, not real
  // Whether the detector declared the four lost before the rebuild's
  // acknowledgement came depends on the pacing (with deadline start-up the
  // block and its repair leave at once, and the acknowledgement comes
  // first); either way nothing was retransmitted.
  const auto first_block_losses = net.client->stats().packets_lost;
  CHECK(first_block_losses <= 4);

  // Sources 2-7 of the second block: six losses against four repair symbols.
  CHECK(send_through_burst(net, drop, {2, 3, 4, 5, 6, 7}, 12) >= 150ms); // waited for the retransmission
  const auto s = net.client->stats();
  CHECK(s.fec_repair_packets_sent == 2 * repair_per_block); // the retransmissions carry no repair of their own
  CHECK(net.server->stats().fec_packets_recovered == 4);     // nothing more rebuilt
  // The second block's six are lost for good; the first block's, if the
  // detector declared them, were spurious (released unsent).
  CHECK(s.spurious_retransmits == first_block_losses);
  CHECK(s.packets_lost == first_block_losses + 6);
  // Every fragment of the six is resent, none twice: a resent fragment may
  // take two packets, as the packet now also carries an ACK.
  CHECK(s.message_retransmissions >= 6);
  CHECK(s.message_retransmissions <= 2 * 6);
  CHECK(s.packets_retransmitted == s.message_retransmissions);
  CHECK(s.fec_peer_packets_recovered == 4);
}
