// stun::nat_agent in virtual time: discovery on a shared socket, the RFC 8489
// retransmission schedule with configurable Rc/Rm, NAT keepalive timing,
// mapped-address changes from keepalive re-queries, answering requests.
#include <doctest/doctest.h>

#include "support/seed.hpp"

#include "stun/binding_responder.hpp"
#include "stun/errc.hpp"
#include "stun/nat_agent.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <vector>

using namespace tern::stun;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;

namespace {

const time_point t0{std::chrono::hours{1}};
const transport_address server = transport_address::ipv4({198, 51, 100, 1}, 3478);
const transport_address reflexive = transport_address::ipv4({203, 0, 113, 7}, 40000);
const transport_address peer = transport_address::ipv4({192, 0, 2, 9}, 5000);

struct sent {
  time_point at;
  transport_address to;
  std::vector<std::byte> bytes;
};

struct harness {
  tern::random_source rng{tern::test::seed()};
  tern::random_source ids{tern::test::seed() ^ 0x5a5a};
  std::optional<nat_agent> agent;

  explicit harness(nat_agent_options o = {}) {
    o.new_transaction_id = [this](transaction_id& id) {
      for (auto& b : id) b = static_cast<std::byte>(ids.next_u64());
      return true;
    };
    agent.emplace(rng, std::move(o));
  }

  std::vector<sent> drain(time_point t) {
    std::vector<sent> out;
    std::array<std::byte, 1500> buf{};
    while (auto m = agent->poll_transmit(buf, t)) out.push_back({t, m->to, {m->bytes.begin(), m->bytes.end()}});
    return out;
  }

  // Runs the agent's timer up to `until`, collecting what it sends; `on_sent`
  // may answer.
  template <class F>
  std::vector<sent> run_until(time_point until, F&& on_sent) {
    std::vector<sent> all;
    while (true) {
      const time_point t = agent->next_timeout();
      if (t > until) break;
      agent->on_timeout(t);
      for (auto& s : drain(t)) {
        on_sent(s);
        all.push_back(std::move(s));
      }
    }
    return all;
  }
};

// What a STUN server at `server` answers when the request arrives from `seen_as`.
std::vector<std::byte> answer(const sent& request, const transport_address& seen_as) {
  binding_responder r;
  std::array<std::byte, 1500> out{};
  const auto res = r.handle(request.bytes, seen_as, out);
  REQUIRE(res.what == responder_result::action::reply);
  return {res.reply.begin(), res.reply.end()};
}

bool is_indication(const std::vector<std::byte>& b) {
  // Message type 0x0011: Binding Indication.
  return b.size() >= 2 && b[0] == std::byte{0x00} && b[1] == std::byte{0x11};
}
bool is_request(const std::vector<std::byte>& b) {
  return b.size() >= 2 && b[0] == std::byte{0x00} && b[1] == std::byte{0x01};
}

} // namespace

TEST_CASE("nat_agent: discovery succeeds and only believes the server's address") {
  harness h;
  const auto id = h.agent->discover(server, t0);
  auto out = h.drain(t0);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == server);
  CHECK(is_request(out[0].bytes));
  const auto reply = answer(out[0], reflexive);

  // The same answer from somewhere else is swallowed as STUN but not believed.
  CHECK(h.agent->on_datagram(reply, peer, t0 + 10ms));
  CHECK_FALSE(h.agent->poll_discovery());

  CHECK(h.agent->on_datagram(reply, server, t0 + 20ms));
  const auto r = h.agent->poll_discovery();
  REQUIRE(r);
  CHECK(r->id == id);
  CHECK_FALSE(r->error);
  REQUIRE(r->mapped);
  CHECK(*r->mapped == reflexive);
  CHECK(h.agent->mapped_address(server) == reflexive);
  CHECK_FALSE(h.agent->poll_mapping_change()); // the first address is not a change
}

TEST_CASE("nat_agent: retransmission schedule, default Rc/Rm and configured ones") {
  SUBCASE("defaults: 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, timeout at 39.5 s") {
    harness h;
    h.agent->discover(server, t0);
    auto first = h.drain(t0);
    REQUIRE(first.size() == 1);
    auto rest = h.run_until(t0 + 60s, [](const sent&) {});
    std::vector<duration> at{0s};
    for (auto& s : rest) at.push_back(s.at - t0);
    CHECK(at == std::vector<duration>{0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms});
    const auto r = h.agent->poll_discovery();
    REQUIRE(r);
    CHECK(r->error == stun_errc::timeout);
    CHECK(h.agent->stats().requests_sent == 7);
  }
  SUBCASE("Rc = 3, Rm = 4, RTO 200 ms: 0, 0.2, 0.6 s, timeout at 1.4 s") {
    nat_agent_options o;
    o.binding.max_requests = 3;
    o.binding.last_wait_factor = 4;
    o.binding.initial_rto = 200ms;
    harness h{o};
    h.agent->discover(server, t0);
    REQUIRE(h.drain(t0).size() == 1);
    std::vector<duration> at{0s};
    for (auto& s : h.run_until(t0 + 10s, [](const sent&) {})) at.push_back(s.at - t0);
    CHECK(at == std::vector<duration>{0ms, 200ms, 600ms});
    CHECK(h.agent->next_timeout() == tern::never);
    const auto r = h.agent->poll_discovery();
    REQUIRE(r);
    CHECK(r->error == stun_errc::timeout);
  }
}

TEST_CASE("nat_agent: error responses, cancellation, non-STUN and malformed input") {
  harness h;
  SUBCASE("an error response ends the discovery with its code") {
    h.agent->discover(server, t0);
    auto out = h.drain(t0);
    REQUIRE(out.size() == 1);
    responder_options strict;
    strict.credentials = short_term_credentials{"user", {std::byte{'k'}}, false};
    binding_responder r{strict};
    std::array<std::byte, 1500> buf{};
    const auto res = r.handle(out[0].bytes, reflexive, buf);
    REQUIRE(res.what == responder_result::action::reply);
    REQUIRE(res.error_code == 400);
    CHECK(h.agent->on_datagram(res.reply, server, t0 + 1ms));
    const auto d = h.agent->poll_discovery();
    REQUIRE(d);
    CHECK(d->error == stun_errc::error_response);
    CHECK(d->error_response_code == 400);
  }
  SUBCASE("a cancelled discovery reports nothing and sends no more") {
    const auto id = h.agent->discover(server, t0);
    REQUIRE(h.drain(t0).size() == 1);
    CHECK(h.agent->cancel(id));
    CHECK_FALSE(h.agent->cancel(id));
    CHECK(h.run_until(t0 + 60s, [](const sent&) {}).empty());
    CHECK_FALSE(h.agent->poll_discovery());
  }
  SUBCASE("tern packets are not STUN; garbage STUN is dropped without an answer") {
    const std::array<std::byte, 4> tern_packet{std::byte{0xc3}, std::byte{1}, std::byte{2}, std::byte{3}};
    CHECK_FALSE(h.agent->on_datagram(tern_packet, peer, t0));
    std::array<std::byte, 24> bogus{};
    bogus[1] = std::byte{0x01}; // a Binding request header with a wrong cookie and length
    bogus[3] = std::byte{0x07};
    CHECK(h.agent->on_datagram(bogus, peer, t0));
    CHECK(h.drain(t0).empty());
    CHECK(h.agent->stats().discarded == 1);
  }
}

TEST_CASE("nat_agent: answers Binding requests with the sender's reflexive address") {
  harness h;
  transaction_id id{};
  id[0] = std::byte{42};
  binding_transaction client{id};
  const auto request = client.poll_transmit(t0);
  REQUIRE_FALSE(request.empty());
  CHECK(h.agent->on_datagram(request, peer, t0));
  auto out = h.drain(t0);
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == peer);
  CHECK(client.on_response(out[0].bytes, t0 + 1ms));
  REQUIRE(client.mapped_address());
  CHECK(*client.mapped_address() == peer);
  CHECK_FALSE(client.mapped_address_legacy());
  CHECK(h.agent->stats().requests_answered == 1);

  SUBCASE("unless configured not to") {
    nat_agent_options o;
    o.answer_requests = false;
    harness quiet{o};
    CHECK(quiet.agent->on_datagram(request, peer, t0));
    CHECK(quiet.drain(t0).empty());
  }
}

TEST_CASE("nat_agent: a flood of Binding requests gets at most the answer bucket") {
  // Issue 17: every 20-byte request got a 48-56-byte answer, at any rate.
  nat_agent_options o;
  o.answer_rate.per_second = 50;
  o.answer_rate.burst = 20;
  harness h{o};
  std::uint64_t offered = 0;
  const auto flood = [&](time_point t) {
    transaction_id id{};
    std::memcpy(id.data(), &offered, sizeof offered);
    binding_transaction client{id};
    const auto request = client.poll_transmit(t);
    REQUIRE_FALSE(request.empty());
    CHECK(h.agent->on_datagram(request, peer, t));
    ++offered;
  };
  // 10,000 at one instant: the burst, no more.
  std::size_t answered = 0;
  for (int i = 0; i < 10'000; ++i) {
    flood(t0);
    answered += h.drain(t0).size();
  }
  CHECK(answered == o.answer_rate.burst);
  // Then 10,000 per second for 2 s of virtual time: the rate, no more.
  std::size_t later = 0;
  for (int i = 1; i <= 20'000; ++i) {
    const time_point t = t0 + i * 100us;
    flood(t);
    later += h.drain(t).size();
  }
  CHECK(later <= 2 * o.answer_rate.per_second);
  CHECK(later >= 2 * o.answer_rate.per_second - 1);
  CHECK(h.agent->stats().requests_answered == answered + later);
  CHECK(h.agent->stats().requests_limited == offered - (answered + later));
  // After a quiet spell the bucket is full again, and no fuller.
  std::size_t after_quiet = 0;
  for (int i = 0; i < 1000; ++i) {
    flood(t0 + 1h);
    after_quiet += h.drain(t0 + 1h).size();
  }
  CHECK(after_quiet == o.answer_rate.burst);
}

TEST_CASE("nat_agent: answers waiting for the socket stay within their queue bound") {
  nat_agent_options o;
  o.answer_rate.burst = 1'000; // the queue, not the rate, is what is reached
  harness h{o};
  for (std::uint64_t n = 0; n < 1'000; ++n) {
    transaction_id id{};
    std::memcpy(id.data(), &n, sizeof n);
    binding_transaction client{id};
    CHECK(h.agent->on_datagram(client.poll_transmit(t0), peer, t0));
  }
  const auto out = h.drain(t0);
  CHECK(out.size() == 64);
  CHECK(h.agent->stats().requests_limited == 1'000 - 64);
}

TEST_CASE("nat_agent: a rate of zero answers nothing") {
  nat_agent_options o;
  o.answer_rate.per_second = 0;
  harness h{o};
  binding_transaction client{transaction_id{}};
  CHECK(h.agent->on_datagram(client.poll_transmit(t0), peer, t0));
  CHECK(h.drain(t0).empty());
  CHECK(h.agent->stats().requests_limited == 1);
}

TEST_CASE("nat_agent: keepalive timing for a watched peer, in virtual time") {
  harness h;
  h.agent->watch(peer, t0);
  // Traffic every 2 s for 10 minutes: no indication.
  time_point t = t0;
  std::size_t indications = 0;
  for (; t < t0 + 10min; t += 2s) {
    while (h.agent->next_timeout() <= t) {
      h.agent->on_timeout(h.agent->next_timeout());
      indications += h.drain(t).size();
    }
    h.agent->on_sent(peer, t);
  }
  CHECK(indications == 0);

  // Idle for 10 minutes: one indication per interval (25 s ± 5 s).
  const time_point idle_from = t;
  auto sent = h.run_until(idle_from + 10min, [](const struct sent&) {});
  REQUIRE(sent.size() >= 20);
  REQUIRE(sent.size() <= 30);
  time_point prev = idle_from;
  for (const auto& s : sent) {
    CHECK(s.to == peer);
    CHECK(is_indication(s.bytes));
    const auto gap = s.at - prev;
    CHECK(gap >= 20s);
    CHECK(gap <= 30s);
    prev = s.at;
  }
  CHECK(h.agent->stats().indications_sent == sent.size());

  // Traffic resumes: the indications stop again.
  t = idle_from + 10min;
  indications = 0;
  for (const time_point end = t + 5min; t < end; t += 1s) {
    h.agent->on_sent(peer, t);
    while (h.agent->next_timeout() <= t) {
      h.agent->on_timeout(h.agent->next_timeout());
      indications += h.drain(t).size();
    }
  }
  CHECK(indications == 0);

  // Unwatched: nothing more.
  h.agent->unwatch(peer);
  CHECK(h.agent->next_timeout() == tern::never);
}

TEST_CASE("nat_agent: keepalive disabled sends nothing") {
  nat_agent_options o;
  o.keepalive_enabled = false;
  harness h{o};
  h.agent->watch(peer, t0);
  CHECK(h.agent->next_timeout() == tern::never);
  CHECK(h.run_until(t0 + 10min, [](const sent&) {}).empty());
}

TEST_CASE("nat_agent: a registered mapping is re-queried when idle and reports a rebinding") {
  harness h;
  h.agent->discover(server, t0);
  auto out = h.drain(t0);
  REQUIRE(out.size() == 1);
  h.agent->on_datagram(answer(out[0], reflexive), server, t0 + 5ms);
  REQUIRE(h.agent->poll_discovery());

  // The NAT rebinds the socket to a new port after 2 minutes.
  const transport_address rebound = transport_address::ipv4({203, 0, 113, 7}, 40123);
  std::vector<sent> requests;
  auto* agent = &*h.agent;
  auto sent = h.run_until(t0 + 5min, [&](const struct sent& s) {
    REQUIRE(s.to == server);
    REQUIRE(is_request(s.bytes));
    requests.push_back(s);
    agent->on_datagram(answer(s, s.at < t0 + 2min ? reflexive : rebound), server, s.at + 5ms);
  });
  // One re-query per interval (25 s ± 5 s) while idle.
  REQUIRE(requests.size() >= 10);
  REQUIRE(requests.size() <= 15);
  for (std::size_t i = 1; i < requests.size(); ++i) {
    CHECK(requests[i].at - requests[i - 1].at >= 20s);
    CHECK(requests[i].at - requests[i - 1].at <= 31s);
  }
  const auto c = h.agent->poll_mapping_change();
  REQUIRE(c);
  CHECK(c->server == server);
  CHECK(c->previous == reflexive);
  CHECK(c->current == rebound);
  CHECK_FALSE(h.agent->poll_mapping_change()); // reported once, not on every later answer
  CHECK_FALSE(h.agent->poll_discovery());      // re-queries are not discoveries
  CHECK(h.agent->mapped_address(server) == rebound);

  h.agent->forget_mapping(server);
  CHECK(h.agent->next_timeout() == tern::never);
}
