// Deadline messages at the connection level: the two connection knobs that
// serve them, message_tail_probes and message_cwnd_allowance
// (docs/streams.md, "Meeting the media targets"), tested directly rather
// than only through the media simulation.

#include "harness.hpp"

using namespace tern;
using namespace tern::core;
using namespace tern::core::test;

namespace {

void settle(network& net) { settle_after_handshake(net); }

/// Datagrams (and bytes) the client sends from now until just before the
/// first reply to them could arrive: what it sends on its own, before any
/// ACK for the message can change its mind.
struct first_round {
  int datagrams = 0;
  std::uint64_t bytes = 0;
};

first_round count_first_round(network& net) {
  first_round r;
  net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
    if (to_server) {
      ++r.datagrams;
      r.bytes += bytes.size();
    }
    return true;
  };
  net.run_until([] { return false; }, 2 * net.one_way - 1ms);
  net.hook = nullptr;
  return r;
}

} // namespace

TEST_CASE("connection: a message's last fragment is followed by message_tail_probes ack-eliciting packets") {
  for (std::size_t probes : {std::size_t{0}, std::size_t{3}, std::size_t{5}}) {
    CAPTURE(probes);
    auto configs = pinned_configs();
    configs.first.message_tail_probes = probes;
    network net(configs);
    settle(net);
    std::error_code ec;
    REQUIRE(net.client->send_message(pattern(500, 1), net.now + 400ms, net.now, ec));
    const auto r = count_first_round(net);
    // One packet with the message, then the probes; nothing else is queued.
    CHECK(r.datagrams == static_cast<int>(1 + probes));
  }
}

TEST_CASE("connection: tail probes let a lost single-packet message be repaired within about one RTT") {
  // The only packet of the message is lost. With probes, the ACK of the
  // probes reveals the gap by packet threshold; without them nothing else is
  // in flight and only the probe timeout (PTO) recovers it.
  auto time_to_deliver = [](std::size_t probes) {
    auto configs = pinned_configs();
    configs.first.message_tail_probes = probes;
    network net(configs);
    settle(net);
    bool dropped_once = false;
    net.hook = [&](bool to_server, std::vector<std::byte>& bytes) {
      if (to_server && !dropped_once && bytes.size() > 500) {
        dropped_once = true; // the first datagram big enough to hold the message
        return false;
      }
      return true;
    };
    std::error_code ec;
    const time_point sent = net.now;
    REQUIRE(net.client->send_message(pattern(600, 2), net.now + 2s, net.now, ec));
    const auto got = receive_message_event(net);
    REQUIRE(dropped_once);
    REQUIRE(got.what == stream::message_event::kind::delivered);
    CHECK(got.data == pattern(600, 2));
    return net.now - sent;
  };
  const duration with_probes = time_to_deliver(3);
  const duration without = time_to_deliver(0);
  // RTT 100 ms: lost at t=0, probes acknowledged at ~100 ms, the resend
  // arrives ~50 ms later.
  CHECK(with_probes < 200ms);
  CHECK(with_probes < without);
}

TEST_CASE("connection: message_cwnd_allowance lets a message exceed a fresh congestion window, by that much only") {
  // 100 kB: more than the initial window plus both allowances.
  constexpr std::size_t message_size = 100'000;
  auto first_round_with = [&](std::size_t allowance, std::size_t lossless_allowance) {
    auto configs = pinned_configs();
    configs.first.message_cwnd_allowance = allowance;
    configs.first.message_lossless_allowance = lossless_allowance;
    configs.first.message_tail_probes = 0;
    network net(configs);
    settle(net);
    const std::uint64_t cwnd = net.client->stats().cwnd;
    std::error_code ec;
    REQUIRE(net.client->send_message(pattern(message_size, 3), net.now + 400ms, net.now, ec));
    const auto r = count_first_round(net);
    return std::pair{r.bytes, cwnd};
  };
  const auto [without, cwnd0] = first_round_with(0, 0);
  const auto [with, cwnd1] = first_round_with(48 * 1200, 0);
  // Deadline start-up (docs/streams.md): nothing was lost, so the lossless
  // allowance adds its 20 datagrams.
  const auto [lossless, cwnd2] = first_round_with(48 * 1200, 20 * 1200);
  CAPTURE(cwnd0);
  CAPTURE(cwnd1);
  CAPTURE(cwnd2);
  // Without the allowances the first round is the congestion window.
  CHECK(without <= cwnd0 + 1200);
  // With one, the window plus the allowance, never more.
  CHECK(with > cwnd1 + 40 * 1200);
  CHECK(with <= cwnd1 + 48 * 1200 + 1200);
  CHECK(lossless > cwnd2 + 60 * 1200);
  CHECK(lossless <= cwnd2 + 68 * 1200 + 1200);
}
