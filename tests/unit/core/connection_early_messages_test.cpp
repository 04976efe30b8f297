// Deadline messages in 0-RTT (docs/crypto.md, "What may be sent early";
// docs/protocol.md §4.9): a message flow configured with
// message_flow_options::allow_early sends its messages in the first flight
// of a resumed connection offering early data; other flows wait for the
// handshake; a rejected flight is sent again under 1-RTT keys while the
// deadlines allow, each message delivered once. Virtual time, so the
// arrival times are exact.

#include "harness.hpp"
#include "resumption_support.hpp"

#include <map>

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

constexpr std::uint8_t early_flow = 1;
constexpr std::uint8_t late_flow = 2;

/// What the server received on one flow.
struct flow_arrival {
  std::vector<std::vector<std::byte>> delivered;
  std::uint64_t dropped = 0;
  stream::drop_reason drop_reason = stream::drop_reason::abandoned;
  duration first{};
};

/// Configures early_flow with allow_early and late_flow without on the
/// client, right after connect (before the handshake).
void configure_flows(network& net) {
  REQUIRE_FALSE(net.client->configure_message_flow(early_flow, message_flow_options{.allow_early = true}));
  REQUIRE_FALSE(net.client->configure_message_flow(late_flow, message_flow_options{}));
}

/// Sends each (flow, message) right after connect with `deadline` from
/// then, and runs until the server has heard of every message (delivered or
/// dropped) and a little longer (late duplicates would show). Arrival
/// times are from connect.
std::map<std::uint8_t, flow_arrival> send_early(network& net,
                                                const std::vector<std::pair<std::uint8_t, std::vector<std::byte>>>& sends,
                                                duration deadline = 2s) {
  net.start();
  configure_flows(net);
  const time_point start = net.now;
  for (const auto& [flow, message] : sends) {
    std::error_code ec;
    message_options on_flow;
    on_flow.flow = flow;
    REQUIRE(net.client->send_message(message, start + deadline, net.now, ec, on_flow));
  }
  std::map<std::uint8_t, flow_arrival> out;
  std::size_t heard = 0;
  const auto drain = [&] {
    if (!net.server) return;
    while (auto m = net.server->receive_message(net.now)) {
      auto& a = out[m->flow];
      if (a.delivered.empty() && a.dropped == 0) a.first = net.now - start;
      if (m->what == stream::message_event::kind::delivered) {
        a.delivered.push_back(m->data);
        ++heard;
      } else {
        a.dropped += m->count;
        a.drop_reason = m->reason;
        heard += m->count;
      }
    }
  };
  REQUIRE(net.run_until([&] {
    drain();
    return heard >= sends.size();
  }, 10s));
  (void)net.run_until([&] {
    drain();
    return false;
  }, 500ms);
  return out;
}

} // namespace

TEST_CASE("0-RTT messages: a flow allowed early reaches the server one way after connect, another flow after the "
          "handshake") {
  const auto configs = resumable_configs(true);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  const auto early = pattern(700, 41);
  const auto late = pattern(700, 42);
  auto got = send_early(net, {{early_flow, early}, {late_flow, late}});
  REQUIRE(got[early_flow].delivered.size() == 1);
  REQUIRE(got[late_flow].delivered.size() == 1);
  CHECK(got[early_flow].delivered[0] == early);
  CHECK(got[late_flow].delivered[0] == late);
  CHECK(net.server->early_data_accepted());
  CHECK(net.client->early_data_accepted());
  // 100 ms RTT: the early flow in the first flight, one way after connect;
  // the other after the client's handshake completed (one RTT), one more
  // way, under 1-RTT keys.
  CHECK(got[early_flow].first == 50ms);
  CHECK(got[late_flow].first == 150ms);
  // Nothing went twice on a lossless path; every fragment of the early
  // message (the ClientHello leaves less than 700 bytes in the first
  // datagram) and none of the other came in 0-RTT packets.
  const auto early_stats = net.client->message_flow_stats(early_flow);
  CHECK(early_stats.retransmissions == 0);
  CHECK(net.server->stats().early_message_fragments_received == early_stats.fragments_sent);
}

TEST_CASE("0-RTT messages: an early message of several datagrams arrives whole, once, every fragment in 0-RTT "
          "packets") {
  const auto configs = resumable_configs(true);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  const auto frame = pattern(5000, 43); // several 0-RTT packets
  auto got = send_early(net, {{early_flow, frame}});
  REQUIRE(got[early_flow].delivered.size() == 1);
  CHECK(got[early_flow].delivered[0] == frame);
  // Whole one way after connect, give or take the pacing of its packets:
  // long before anything sent after the handshake (100 ms) could arrive.
  CHECK(got[early_flow].first >= 50ms);
  CHECK(got[early_flow].first < 60ms);
  CHECK(net.client->early_data_accepted());
  const auto stats = net.client->message_flow_stats(early_flow);
  CHECK(stats.fragments_sent >= 5);
  CHECK(net.server->stats().early_message_fragments_received == stats.fragments_sent);
}

TEST_CASE("0-RTT messages: without early data on the connection, a flow allowed early waits for the handshake") {
  const auto configs = resumable_configs(true);
  network net(configs);
  resume_early(net, first_ticket(configs, 50ms), 50ms);
  net.client_early_data = false; // the connection's gate
  auto got = send_early(net, {{early_flow, pattern(300, 44)}});
  REQUIRE(got[early_flow].delivered.size() == 1);
  CHECK(got[early_flow].first == 150ms);
  CHECK(net.client->resumed());
  CHECK_FALSE(net.client->early_data_accepted());
}

TEST_CASE("0-RTT messages: a rejection resends exactly the early message's fragments, and every message is "
          "delivered once") {
  network net(rejecting_configs());
  resume_early(net, rejecting_ticket(), 10ms);
  const auto early = pattern(3000, 45); // three fragments
  const auto late = pattern(2000, 46);
  auto got = send_early(net, {{early_flow, early}, {late_flow, late}});
  REQUIRE(got[early_flow].delivered.size() == 1);
  REQUIRE(got[late_flow].delivered.size() == 1);
  CHECK(got[early_flow].delivered[0] == early);
  CHECK(got[late_flow].delivered[0] == late);
  CHECK(got[early_flow].dropped == 0);
  CHECK(net.client->early_data_rejected());
  CHECK_FALSE(net.server->early_data_accepted());
  // No loss on this path: each fragment of the early message went twice
  // (0-RTT, then 1-RTT), the other flow's once.
  const auto early_stats = net.client->message_flow_stats(early_flow);
  const auto late_stats = net.client->message_flow_stats(late_flow);
  CHECK(early_stats.retransmissions > 0);
  CHECK(early_stats.fragments_sent == 2 * early_stats.retransmissions);
  CHECK(late_stats.retransmissions == 0);
  CHECK(net.client->stats().packets_lost == 0);
  CHECK(net.server->stats().early_message_fragments_received == 0);
}

TEST_CASE("0-RTT messages: a rejected early message whose deadline passed by the handshake's end is dropped with "
          "a notice, not resent") {
  network net(rejecting_configs());
  resume_early(net, rejecting_ticket(), 50ms);
  // The deadline falls between the first flight (0 ms) and the handshake's
  // end (100 ms): it went early, then its rejection comes too late.
  auto got = send_early(net, {{early_flow, pattern(800, 47)}}, 80ms);
  CHECK(got[early_flow].delivered.empty());
  CHECK(got[early_flow].dropped == 1);
  CHECK(got[early_flow].drop_reason == stream::drop_reason::abandoned);
  CHECK(net.client->early_data_rejected());
  CHECK(net.client->message_flow_stats(early_flow).retransmissions == 0);
}

TEST_CASE("0-RTT messages: a replayed first flight does not deliver the early message again") {
  const auto configs = resumable_configs(true);
  const auto ticket = first_ticket(configs, 10ms);
  network net(configs);
  resume_early(net, ticket, 10ms);
  std::vector<std::byte> captured;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
    if (to_server && captured.empty()) captured = bytes;
    return true;
  };
  auto got = send_early(net, {{early_flow, pattern(400, 48)}});
  REQUIRE(got[early_flow].delivered.size() == 1);
  REQUIRE(net.server->early_data_accepted());
  REQUIRE_FALSE(captured.empty());

  // The same datagram again, at a server sharing the ticket keys and replay
  // register (a new handshake: the original connection is gone).
  network replay(configs);
  replay.hook = [](bool to_server, std::vector<std::byte>&) { return !to_server; }; // its own client is mute
  replay.start();
  replay.queue.push_back(in_flight{replay.now, true, captured, replay.client_addr});
  std::size_t delivered = 0;
  (void)replay.run_until([&] {
    if (replay.server)
      while (auto m = replay.server->receive_message(replay.now))
        if (m->what == stream::message_event::kind::delivered) ++delivered;
    return false;
  }, 2s);
  REQUIRE(replay.server);
  CHECK_FALSE(replay.server->early_data_accepted());
  CHECK(delivered == 0);
}
