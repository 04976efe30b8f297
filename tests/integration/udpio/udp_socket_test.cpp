#include <ostream> // error_code stringification in doctest messages

#include <doctest/doctest.h>

#include "support/ipv6_loopback.hpp"
#include "support/seed.hpp"
#include "support/skip.hpp"

#include "asio/udp_socket.hpp"

#include <tern/random.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <cstring>
#include <vector>

#if defined(__linux__)
#include <netinet/in.h>
#include <sys/socket.h>
#endif

using namespace std::chrono_literals;
using asio::ip::udp;
using tern::io::ecn_codepoint;
using tern::io::io_errc;
using tern::io::tx_datagram;
using tern::io::udp_recv_batch;
using tern::io::udp_socket;
using tern::io::udp_socket_options;

namespace {

// Generous: these are correctness tests, never speed tests.
constexpr auto patience = 10s;

struct received {
  std::vector<std::byte> payload;
  udp::endpoint from;
  ecn_codepoint ecn;
};

struct receive_stats {
  std::size_t slots = 0;     // buffers filled by the kernel
  std::size_t coalesced = 0; // GRO buffers holding more than one datagram
};

const udp::endpoint v4_any{asio::ip::make_address("127.0.0.1"), 0};
const udp::endpoint v6_any{asio::ip::make_address("::1"), 0};

udp_socket_options quiet_options() {
  udp_socket_options o;
  o.recv_buffer = 4 << 20; // room for a whole test batch on loopback
  o.send_buffer = 4 << 20;
  return o;
}

// Receives until `want` datagrams arrived or `patience` ran out, waiting
// through Asio's reactor between batches.
std::vector<received> receive_n(asio::io_context& io, udp_socket& s, udp_recv_batch& batch,
                                std::size_t want, receive_stats* stats = nullptr) {
  std::vector<received> out;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const std::size_t n = s.receive(batch, ec);
    if (n > 0) {
      if (stats) {
        stats->slots += n;
        for (std::size_t i = 0; i < n; ++i)
          stats->coalesced += batch[i].segment_size < batch[i].data.size();
      }
      batch.for_each_datagram([&](std::span<const std::byte> p, const udp::endpoint& from, ecn_codepoint e) {
        out.push_back({{p.begin(), p.end()}, from, e});
      });
      continue;
    }
    REQUIRE(ec == io_errc::would_block);
    bool ready = false;
    s.async_wait_readable([&](std::error_code) { ready = true; });
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!ready) {
      s.asio_socket().cancel();
      io.restart();
      io.run();
    }
  }
  return out;
}

std::vector<std::byte> pattern(std::size_t size, tern::random_source& rng) {
  std::vector<std::byte> v(size);
  rng.fill(v);
  return v;
}

void send_all(udp_socket& s, std::span<const tx_datagram> d) {
  const auto r = s.send(d);
  REQUIRE_MESSAGE(!r.error, r.error.message());
  REQUIRE(r.sent == d.size());
}

} // namespace

TEST_CASE("udpio: a batch of datagrams from 1 to 65507 bytes arrives intact and in order over IPv4") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, quiet_options()));
  CHECK(rx.caps().batched);
  tern::random_source rng{tern::test::seed()};
  std::vector<std::size_t> sizes{1, 2, 3, 100, 1199, 1200, 1200, 1200, 1452, 1500, 9000, 65507, 65507, 0};
  for (int i = 0; i < 30; ++i) sizes.push_back(1 + rng.uniform(4000));
  std::vector<std::vector<std::byte>> payloads;
  for (auto n : sizes) payloads.push_back(pattern(n, rng));
  std::vector<tx_datagram> out;
  for (auto& p : payloads) out.push_back({p, rx.local_endpoint()});

  send_all(tx, out);
  udp_recv_batch batch{16, 65535};
  auto got = receive_n(io, rx, batch, out.size());
  REQUIRE(got.size() == out.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("datagram " << i << " of " << sizes[i] << " bytes");
    CHECK(got[i].payload == payloads[i]);
    CHECK(got[i].from == tx.local_endpoint());
  }
  std::error_code ec;
  CHECK(rx.receive(batch, ec) == 0);
  CHECK(ec == io_errc::would_block);
}

TEST_CASE("udpio: a GSO run arrives as separate datagrams without GRO") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, quiet_options()));
  if (!tx.caps().gso) MESSAGE("kernel has no UDP_SEGMENT: the run goes as plain sendmmsg");
  tern::random_source rng{tern::test::seed()};
  // 100 x 1200 (more than one GSO message of 54) then a short tail: the tail
  // closes the last run.
  std::vector<std::vector<std::byte>> payloads;
  for (int i = 0; i < 100; ++i) payloads.push_back(pattern(1200, rng));
  payloads.push_back(pattern(517, rng));
  std::vector<tx_datagram> out;
  for (auto& p : payloads) out.push_back({p, rx.local_endpoint()});
  const bool gso_before = tx.caps().gso;
  send_all(tx, out);
  CHECK(tx.caps().gso == gso_before); // loopback accepts GSO: no fallback
  CHECK(tx.counters().send_datagrams == out.size());
  if (tx.caps().gso) {
    // 100 x 1200 bytes: 54 + 46 segments, the tail joins the second run.
    CHECK(tx.counters().gso_messages == 2);
    CHECK(tx.counters().send_messages == 2);
  }

  udp_recv_batch batch{64, 2048};
  receive_stats st;
  auto got = receive_n(io, rx, batch, out.size(), &st);
  REQUIRE(got.size() == out.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].payload == payloads[i]);
  CHECK(st.slots == out.size());
  CHECK(st.coalesced == 0);
}

#if defined(__linux__)
TEST_CASE("udpio: when the kernel refuses GSO the run is resent plainly and GSO stays off") {
  // SO_NO_CHECK (no UDP checksum) is one thing the kernel will not combine
  // with UDP_SEGMENT: it answers EINVAL, as a route without checksum offload
  // answers EIO.
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, quiet_options()));
  if (!tx.caps().gso) {
    tern::test::skip("kernel has no UDP_SEGMENT: nothing to fall back from");
    return;
  }
  const int one = 1;
  REQUIRE(::setsockopt(tx.asio_socket().native_handle(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one) == 0);
  tern::random_source rng{tern::test::seed()};
  std::vector<std::vector<std::byte>> payloads;
  for (int i = 0; i < 30; ++i) payloads.push_back(pattern(1200, rng));
  std::vector<tx_datagram> out;
  for (auto& p : payloads) out.push_back({p, rx.local_endpoint()});
  send_all(tx, out);
  CHECK_FALSE(tx.caps().gso);
  CHECK(tx.counters().gso_messages == 0);
  send_all(tx, out); // and it stays off without another refusal
  CHECK(tx.counters().send_datagrams == 2 * out.size());
  udp_recv_batch batch{64, 2048};
  auto got = receive_n(io, rx, batch, 2 * out.size());
  REQUIRE(got.size() == 2 * out.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].payload == payloads[i % payloads.size()]);
}
#endif

TEST_CASE("udpio: a GRO receiver splits coalesced buffers back into the datagrams sent") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  auto ro = quiet_options();
  ro.gro = true;
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, ro));
  tern::random_source rng{tern::test::seed()};
  std::vector<std::vector<std::byte>> payloads;
  for (int i = 0; i < 50; ++i) payloads.push_back(pattern(1452, rng));
  payloads.push_back(pattern(3, rng));
  for (int i = 0; i < 7; ++i) payloads.push_back(pattern(1000, rng));
  std::vector<tx_datagram> out;
  for (auto& p : payloads) out.push_back({p, rx.local_endpoint()});
  send_all(tx, out);

  udp_recv_batch batch{8, 65535};
  receive_stats st;
  auto got = receive_n(io, rx, batch, out.size(), &st);
  REQUIRE(got.size() == out.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("datagram " << i);
    CHECK(got[i].payload == payloads[i]);
    CHECK(got[i].from == tx.local_endpoint());
  }
  MESSAGE("gso=" << tx.caps().gso << " gro=" << rx.caps().gro << ": " << out.size()
                 << " datagrams in " << st.slots << " buffers, " << st.coalesced << " coalesced");
  // Loopback keeps a GSO send whole and a GRO socket takes it whole.
  if (tx.caps().gso && rx.caps().gro) {
    CHECK(st.coalesced > 0);
    CHECK(st.slots < out.size());
  }
}

TEST_CASE("udpio: interleaved destinations and ECN codepoints split GSO runs correctly") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, a{io.get_executor()}, b{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(a.open(v4_any, quiet_options()));
  REQUIRE_FALSE(b.open(v4_any, quiet_options()));
  tern::random_source rng{tern::test::seed()};
  std::vector<std::vector<std::byte>> payloads;
  std::vector<tx_datagram> out;
  std::vector<std::size_t> to_a, to_b;
  for (int i = 0; i < 120; ++i) payloads.push_back(pattern(1200, rng));
  for (int i = 0; i < 120; ++i) {
    const bool dest_a = (i / 7) % 2 == 0;
    const auto e = (i / 5) % 3 == 0 ? ecn_codepoint::ect0 : ecn_codepoint::not_ect;
    out.push_back({payloads[i], dest_a ? a.local_endpoint() : b.local_endpoint(), e});
    (dest_a ? to_a : to_b).push_back(static_cast<std::size_t>(i));
  }
  send_all(tx, out);
  if (tx.caps().gso) CHECK(tx.counters().gso_messages > 0);
  CHECK(tx.counters().send_datagrams == out.size());
  udp_recv_batch batch{32, 2048};
  auto got_a = receive_n(io, a, batch, to_a.size());
  auto got_b = receive_n(io, b, batch, to_b.size());
  REQUIRE(got_a.size() == to_a.size());
  REQUIRE(got_b.size() == to_b.size());
  for (std::size_t k = 0; k < to_a.size(); ++k) {
    CHECK(got_a[k].payload == payloads[to_a[k]]);
    if (a.caps().ecn) CHECK(got_a[k].ecn == out[to_a[k]].ecn);
  }
  for (std::size_t k = 0; k < to_b.size(); ++k) {
    CHECK(got_b[k].payload == payloads[to_b[k]]);
    if (b.caps().ecn) CHECK(got_b[k].ecn == out[to_b[k]].ecn);
  }
}

namespace {

void ecn_round_trip(const udp::endpoint& local) {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(local, quiet_options()));
  REQUIRE_FALSE(rx.open(local, quiet_options()));
  REQUIRE(tx.caps().ecn);
  REQUIRE(rx.caps().ecn);
  const std::array<ecn_codepoint, 4> cps{ecn_codepoint::ect0, ecn_codepoint::ect1, ecn_codepoint::ce,
                                         ecn_codepoint::not_ect};
  std::array<std::byte, 64> body{};
  std::vector<tx_datagram> out;
  for (auto cp : cps) out.push_back({body, rx.local_endpoint(), cp});
  send_all(tx, out);
  udp_recv_batch batch{8, 2048};
  auto got = receive_n(io, rx, batch, out.size());
  REQUIRE(got.size() == out.size());
  bool any_marked = false;
  for (auto& g : got) any_marked |= g.ecn != ecn_codepoint::not_ect;
  if (!any_marked) {
    // What can still be asserted: every datagram arrived, and none carries a
    // codepoint that was not sent.
    tern::test::skip("this kernel does not report TOS/TCLASS on loopback");
    return;
  }
  for (std::size_t i = 0; i < cps.size(); ++i) CHECK(got[i].ecn == cps[i]);
}

} // namespace

TEST_CASE("udpio: ECN codepoints survive a loopback round trip over IPv4") { ecn_round_trip(v4_any); }

TEST_CASE("udpio: ECN codepoints survive a loopback round trip over IPv6") {
  if (tern::test::skipped_without_ipv6_loopback()) return;
  ecn_round_trip(v6_any);
}

TEST_CASE("udpio: a datagram over the IPv4 limit fails with message_too_big and the socket lives on") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, quiet_options()));
  CHECK(tx.caps().dont_fragment);
  std::vector<std::byte> small(10, std::byte{1}), huge(65508, std::byte{2}), after(20, std::byte{3});
  const std::array<tx_datagram, 3> out{tx_datagram{small, rx.local_endpoint()},
                                       tx_datagram{huge, rx.local_endpoint()},
                                       tx_datagram{after, rx.local_endpoint()}};
  const auto r = tx.send(out);
  CHECK(r.sent == 1);
  CHECK(r.error == io_errc::message_too_big);
  CHECK(r.error == std::errc::message_size);
  // With IP_RECVERR the kernel also says which MTU refused it.
  tern::io::path_error pe;
  if (tx.caps().recv_errors && tx.pop_path_error(pe)) {
    CHECK(pe.error == io_errc::message_too_big);
    CHECK(pe.destination == rx.local_endpoint());
    MESSAGE("local MTU reported: " << pe.mtu);
    CHECK(pe.mtu >= 65507);
  }
  const auto r2 = tx.send(std::span(out).subspan(2));
  CHECK_FALSE(r2.error);
  CHECK(r2.sent == 1);
  udp_recv_batch batch{8, 65535};
  auto got = receive_n(io, rx, batch, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].payload == small);
  CHECK(got[1].payload == after);
}

#if defined(__linux__)
TEST_CASE("udpio: with DF set, a datagram above the path MTU is refused, not fragmented") {
  // IPV6_MTU caps this socket's path MTU at 1280, standing in for a narrow
  // link: with IPV6_DONTFRAG the 1400-byte datagram must fail, not fragment.
  if (tern::test::skipped_without_ipv6_loopback()) return;
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v6_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v6_any, quiet_options()));
  REQUIRE(tx.caps().dont_fragment);
  const int mtu = 1280;
  REQUIRE(::setsockopt(tx.asio_socket().native_handle(), IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof mtu) == 0);
  std::vector<std::byte> fits(1280 - 48, std::byte{5}), too_big(1400, std::byte{6});
  const std::array<tx_datagram, 1> big{tx_datagram{too_big, rx.local_endpoint()}};
  const auto r = tx.send(big);
  CHECK(r.sent == 0);
  CHECK(r.error == io_errc::message_too_big);
  const std::array<tx_datagram, 1> ok{tx_datagram{fits, rx.local_endpoint()}};
  send_all(tx, ok);
  udp_recv_batch batch{4, 2048};
  auto got = receive_n(io, rx, batch, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == fits);
}
#endif

TEST_CASE("udpio: port unreachable is reported for that peer and does not stop the socket") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, peer{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(peer.open(v4_any, quiet_options()));
  udp::endpoint closed;
  {
    udp_socket gone{io.get_executor()};
    REQUIRE_FALSE(gone.open(v4_any, quiet_options()));
    closed = gone.local_endpoint();
  }
  std::vector<std::byte> body(32, std::byte{7});
  // Each send to the closed port raises an ICMP error that fails the socket's
  // next call once; the datagrams to the live peer must all still go.
  const std::array<tx_datagram, 6> out{tx_datagram{body, closed},          tx_datagram{body, peer.local_endpoint()},
                                       tx_datagram{body, closed},          tx_datagram{body, peer.local_endpoint()},
                                       tx_datagram{body, peer.local_endpoint()}, tx_datagram{body, closed}};
  send_all(tx, out);
  udp_recv_batch batch{8, 2048};
  auto got = receive_n(io, peer, batch, 3);
  CHECK(got.size() == 3);

  // The peer answers; the refused socket still receives.
  const std::array<tx_datagram, 1> reply{tx_datagram{body, tx.local_endpoint()}};
  send_all(peer, reply);
  auto back = receive_n(io, tx, batch, 1);
  REQUIRE(back.size() == 1);
  CHECK(back[0].from == peer.local_endpoint());
  CHECK(tx.is_open());

  if (!tx.caps().recv_errors) {
    tern::test::skip("no IP_RECVERR: the kernel drops ICMP errors on unconnected sockets");
    return;
  }
  tern::io::path_error pe;
  std::size_t refused = 0;
  while (tx.pop_path_error(pe)) {
    CHECK(pe.error == std::errc::connection_refused);
    CHECK(pe.destination == closed);
    ++refused;
  }
  MESSAGE(refused << " refusals reported for " << closed);
  CHECK(refused >= 1);
  CHECK(refused <= 3);
}

TEST_CASE("udpio: IPv6 loopback and a dual-stack socket reaching an IPv4 peer") {
  if (tern::test::skipped_without_ipv6_loopback()) return;
  asio::io_context io;
  udp_socket v6a{io.get_executor()}, v6b{io.get_executor()}, dual{io.get_executor()}, v4{io.get_executor()};
  REQUIRE_FALSE(v6a.open(v6_any, quiet_options()));
  REQUIRE_FALSE(v6b.open(v6_any, quiet_options()));
  auto dual_opts = quiet_options();
  dual_opts.dual_stack = true;
  REQUIRE_FALSE(dual.open(udp::endpoint{asio::ip::address_v6::any(), 0}, dual_opts));
  REQUIRE_FALSE(v4.open(v4_any, quiet_options()));
  tern::random_source rng{tern::test::seed()};
  std::vector<std::vector<std::byte>> payloads;
  std::vector<tx_datagram> out;
  for (int i = 0; i < 20; ++i) payloads.push_back(pattern(i < 10 ? 1232 : 65000 + i, rng));
  for (auto& p : payloads) out.push_back({p, v6b.local_endpoint()});
  send_all(v6a, out);
  udp_recv_batch batch{8, 65535};
  auto got = receive_n(io, v6b, batch, out.size());
  REQUIRE(got.size() == out.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].payload == payloads[i]);
    CHECK(got[i].from == v6a.local_endpoint());
  }

  // IPv4 peer -> dual-stack socket: the source shows as v4-mapped; the reply
  // goes back to the plain IPv4 endpoint, which the socket maps itself.
  const udp::endpoint dual_v4{asio::ip::make_address("127.0.0.1"), dual.local_endpoint().port()};
  const std::array<tx_datagram, 1> hello{tx_datagram{payloads[0], dual_v4, ecn_codepoint::ect0}};
  send_all(v4, hello);
  auto at_dual = receive_n(io, dual, batch, 1);
  REQUIRE(at_dual.size() == 1);
  CHECK(at_dual[0].from.address().to_v6().is_v4_mapped());
  CHECK(at_dual[0].from.port() == v4.local_endpoint().port());
  if (at_dual[0].ecn != ecn_codepoint::not_ect) CHECK(at_dual[0].ecn == ecn_codepoint::ect0);
  const std::array<tx_datagram, 1> answer{tx_datagram{payloads[1], v4.local_endpoint(), ecn_codepoint::ect0}};
  send_all(dual, answer);
  auto at_v4 = receive_n(io, v4, batch, 1);
  REQUIRE(at_v4.size() == 1);
  CHECK(at_v4[0].payload == payloads[1]);
  CHECK(at_v4[0].from == dual_v4);
  if (v4.caps().ecn) CHECK(at_v4[0].ecn == ecn_codepoint::ect0);
}

TEST_CASE("udpio: a datagram larger than its slot is flagged truncated and skipped") {
  asio::io_context io;
  udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  REQUIRE_FALSE(tx.open(v4_any, quiet_options()));
  REQUIRE_FALSE(rx.open(v4_any, quiet_options()));
  std::vector<std::byte> big(300, std::byte{1}), fits(100, std::byte{2});
  const std::array<tx_datagram, 2> out{tx_datagram{big, rx.local_endpoint()}, tx_datagram{fits, rx.local_endpoint()}};
  send_all(tx, out);
  udp_recv_batch batch{4, 128};
  std::size_t slots = 0;
  bool saw_truncated = false;
  std::vector<received> got;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (slots < 2 && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const std::size_t n = rx.receive(batch, ec);
    for (std::size_t i = 0; i < n; ++i) saw_truncated |= batch[i].truncated;
    slots += n;
    batch.for_each_datagram([&](std::span<const std::byte> p, const udp::endpoint& f, ecn_codepoint e) {
      got.push_back({{p.begin(), p.end()}, f, e});
    });
    if (n == 0) {
      bool ready = false;
      rx.async_wait_readable([&](std::error_code) { ready = true; });
      io.restart();
      io.run_for(1s);
    }
  }
  CHECK(saw_truncated);
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == fits);
}

TEST_CASE("udpio: socket buffers are sized and SO_REUSEPORT shares a port") {
  asio::io_context io;
  udp_socket a{io.get_executor()}, b{io.get_executor()}, c{io.get_executor()};
  udp_socket_options o;
  o.recv_buffer = 3 << 20;
  o.send_buffer = 3 << 20;
  o.reuse_port = true;
  REQUIRE_FALSE(a.open(v4_any, o));
  MESSAGE("asked 3 MiB, got rcvbuf=" << a.caps().recv_buffer << " sndbuf=" << a.caps().send_buffer
                                      << " forced=" << a.caps().buffers_forced);
  if (a.caps().buffers_forced) {
    // Linux reports twice the request (its own bookkeeping included).
    CHECK(a.caps().recv_buffer >= std::size_t{3} << 20);
    CHECK(a.caps().send_buffer >= std::size_t{3} << 20);
  } else {
    CHECK(a.caps().recv_buffer > 0);
  }
  const udp::endpoint same{asio::ip::make_address("127.0.0.1"), a.local_endpoint().port()};
  CHECK_FALSE(b.open(same, o));
  CHECK(b.local_endpoint() == a.local_endpoint());
  udp_socket_options no_share = o;
  no_share.reuse_port = false;
  const std::error_code ec = c.open(same, no_share);
  CHECK(ec == std::errc::address_in_use);
  // A failed open leaves nothing half-usable behind.
  std::vector<std::byte> body(8);
  const std::array<tx_datagram, 1> d{tx_datagram{body, a.local_endpoint()}};
  CHECK_FALSE(c.is_open());
  CHECK(c.send(d).error == io_errc::not_open);
}
