// Session tickets, resumption, refusals and early data at the TLS layer
// (docs/crypto.md, "Resumption").

#include <doctest/doctest.h>

#include "crypto/client_ticket.hpp"
#include "crypto/crypto_error.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/tls_session.hpp"
#include "crypto_test_util.hpp"

#include <ctime>

using namespace tern::crypto;
using namespace tern::crypto::test;

namespace {

/// A pinned pair whose server issues tickets and whose client keeps them,
/// on a clock the test moves.
struct resumable_pair : pinned_pair {
  std::shared_ptr<std::int64_t> clock = std::make_shared<std::int64_t>(std::time(nullptr));

  static resumable_pair make(bool early_data = false) {
    resumable_pair p;
    static_cast<pinned_pair&>(p) = pinned_pair::make();
    std::error_code ec;
    p.server.tickets.keys = ticket_key_ring::generate(ec);
    REQUIRE_FALSE(ec);
    p.server.tickets.lifetime = std::chrono::hours(1);
    p.server.tickets.accept_early_data = early_data;
    p.server.tickets.replay = std::make_shared<replay_guard>(1000);
    p.server.tickets.unix_time = [clock = p.clock] { return *clock; };
    p.client.tickets.unix_time = p.server.tickets.unix_time;
    p.client.resumption = true;
    return p;
  }
};

struct contexts {
  std::shared_ptr<const tls_context> client;
  std::shared_ptr<const tls_context> server;
  static contexts make(const tls_config& c, const tls_config& s) {
    std::error_code ec;
    contexts out{tls_context::create(tls_role::client, c, ec), nullptr};
    REQUIRE_FALSE(ec);
    out.server = tls_context::create(tls_role::server, s, ec);
    REQUIRE_FALSE(ec);
    return out;
  }
};

std::unique_ptr<tls_session> session_of(const std::shared_ptr<const tls_context>& ctx) {
  std::error_code ec;
  auto s = tls_session::create(ctx, ec);
  REQUIRE_FALSE(ec);
  return s;
}

/// A full handshake; returns the ticket the client received.
std::vector<std::byte> first_ticket(const contexts& ctx) {
  auto client = session_of(ctx.client);
  auto server = session_of(ctx.server);
  run_handshake(*client, *server);
  REQUIRE(client->handshake_complete());
  REQUIRE(server->handshake_complete());
  CHECK_FALSE(client->resumed());
  CHECK(client->tickets_received() == 1);
  REQUIRE_FALSE(client->ticket().empty());
  return client->ticket();
}

struct outcome {
  std::unique_ptr<tls_session> client;
  std::unique_ptr<tls_session> server;
};

outcome handshake_with(const contexts& ctx, std::span<const std::byte> ticket, bool early = false) {
  outcome o{session_of(ctx.client), session_of(ctx.server)};
  CHECK_FALSE(o.client->offer_ticket(ticket, early));
  run_handshake(*o.client, *o.server);
  CHECK_MESSAGE(o.client->handshake_complete(), o.client->error().message(), o.client->failure_detail());
  CHECK_MESSAGE(o.server->handshake_complete(), o.server->error().message(), o.server->failure_detail());
  return o;
}

} // namespace

TEST_CASE("resumption: a ticket resumes with (EC)DHE, without the certificate, and yields a new ticket") {
  auto p = resumable_pair::make();
  auto ctx = contexts::make(p.client, p.server);
  const auto ticket = first_ticket(ctx);

  auto full = outcome{session_of(ctx.client), session_of(ctx.server)};
  run_handshake(*full.client, *full.server);
  auto resumed = handshake_with(ctx, ticket);
  CHECK(resumed.client->resumed());
  CHECK(resumed.server->resumed());
  // The peer's key is still known (from the session), and ALPN agreed.
  REQUIRE(resumed.client->peer_spki().has_value());
  CHECK(format_fingerprint(*resumed.client->peer_spki()) == p.server.identity.fingerprint());
  CHECK(resumed.client->alpn() == "tern/1");
  // 1-RTT secrets agree and differ from another resumption of the same
  // ticket: fresh (EC)DHE each time.
  directional_secrets c1, s1, c2, s2;
  REQUIRE_FALSE(derive_one_rtt_secrets(*resumed.client, c1));
  REQUIRE_FALSE(derive_one_rtt_secrets(*resumed.server, s1));
  CHECK(c1.send == s1.receive);
  auto again = handshake_with(ctx, ticket);
  CHECK(again.client->resumed());
  REQUIRE_FALSE(derive_one_rtt_secrets(*again.client, c2));
  CHECK(c1.send != c2.send);
  CHECK(resumed.client->tickets_received() == 1);
  CHECK(resumed.client->ticket() != ticket);
}

TEST_CASE("resumption: refused tickets fall back to a full handshake") {
  auto p = resumable_pair::make();
  auto ctx = contexts::make(p.client, p.server);
  const auto ticket = first_ticket(ctx);

  SUBCASE("another server's ticket keys") {
    auto other = p.server;
    std::error_code ec;
    other.tickets.keys = ticket_key_ring::generate(ec);
    auto ctx2 = contexts::make(p.client, other);
    auto o = handshake_with(ctx2, ticket);
    CHECK_FALSE(o.client->resumed());
    CHECK_FALSE(o.server->resumed());
    CHECK(o.client->tickets_received() == 1); // and a ticket of the new keys
  }
  SUBCASE("keys rotated once still resume (and renew); twice do not") {
    REQUIRE_FALSE(p.server.tickets.keys->rotate());
    CHECK(handshake_with(ctx, ticket).server->resumed());
    REQUIRE_FALSE(p.server.tickets.keys->rotate());
    CHECK_FALSE(handshake_with(ctx, ticket).server->resumed());
  }
  SUBCASE("expired by the server's lifetime") {
    *p.clock += 3600;
    auto o = handshake_with(ctx, ticket);
    CHECK_FALSE(o.server->resumed());
    CHECK_FALSE(o.client->resumed());
  }
  SUBCASE("another ALPN: the server now picks another protocol") {
    auto server2 = p.server;
    server2.alpn = {"tern/2", "tern/1"};
    auto client2 = p.client;
    client2.alpn = {"tern/2", "tern/1"};
    auto ctx2 = contexts::make(client2, server2);
    auto o = handshake_with(ctx2, ticket);
    CHECK(o.client->alpn() == "tern/2");
    CHECK_FALSE(o.server->resumed());
  }
  SUBCASE("the client refuses to offer a ticket for another ALPN, server name or server key") {
    auto client2 = p.client;
    client2.alpn = {"tern/2"};
    auto c2 = session_of(contexts::make(client2, p.server).client);
    CHECK(c2->offer_ticket(ticket, false) == crypto_errc::ticket_mismatch);
    auto client3 = p.client;
    client3.server_name = "other.tern.test";
    auto c3 = session_of(contexts::make(client3, p.server).client);
    CHECK(c3->offer_ticket(ticket, false) == crypto_errc::ticket_mismatch);
    auto client4 = p.client;
    client4.peer.pinned_fingerprints = {self_signed().fingerprint()};
    auto c4 = session_of(contexts::make(client4, p.server).client);
    CHECK(c4->offer_ticket(ticket, false) == crypto_errc::ticket_mismatch);
    // Another client identity than the session's (none here): resuming
    // would authenticate it as the session's client.
    auto client5 = p.client;
    client5.identity = self_signed(key_algorithm::ec_p256, "client.tern.test");
    auto c5 = session_of(contexts::make(client5, p.server).client);
    CHECK(c5->offer_ticket(ticket, false) == crypto_errc::ticket_mismatch);
  }
  SUBCASE("another server name presented to the server") {
    // A client that bypasses its own check (same pins, other SNI): the
    // server refuses the ticket for the SNI it was not issued under.
    client_ticket t = *client_ticket::decode(ticket, *std::make_unique<std::error_code>());
    t.server_name = "alias.tern.test";
    auto client2 = p.client;
    client2.server_name = "alias.tern.test";
    auto ctx2 = contexts::make(client2, p.server);
    auto o = handshake_with(ctx2, t.encode());
    CHECK_FALSE(o.server->resumed());
  }
  SUBCASE("malformed ticket bytes") {
    auto c = session_of(ctx.client);
    auto broken = ticket;
    broken.resize(broken.size() - 1);
    CHECK(c->offer_ticket(broken, false) == crypto_errc::ticket_invalid);
    broken = ticket;
    broken.back() ^= std::byte{0xff};
    CHECK(c->offer_ticket(broken, false) == crypto_errc::ticket_invalid);
    CHECK(c->offer_ticket({}, false) == crypto_errc::ticket_invalid);
  }
}

TEST_CASE("resumption: a server without tickets issues none and ignores offered ones") {
  auto p = resumable_pair::make(true);
  auto ctx = contexts::make(p.client, p.server);
  const auto ticket = first_ticket(ctx);
  auto plain = p.server;
  plain.tickets = {};
  auto ctx2 = contexts::make(p.client, plain);
  auto o = handshake_with(ctx2, ticket, true);
  CHECK_FALSE(o.server->resumed());
  CHECK(o.client->tickets_received() == 0);
  CHECK(o.client->early_data() == early_data_status::rejected);
}

TEST_CASE("early data: accepted once per ticket, with matching early secrets on both sides") {
  auto p = resumable_pair::make(true);
  auto ctx = contexts::make(p.client, p.server);
  const auto ticket = first_ticket(ctx);

  auto client = session_of(ctx.client);
  auto server = session_of(ctx.server);
  REQUIRE_FALSE(client->offer_ticket(ticket, true));
  REQUIRE_FALSE(client->start());
  CHECK(client->early_data() == early_data_status::offered);
  std::array<std::byte, 32> client_early{}, server_early{};
  REQUIRE_FALSE(client->export_early_keying_material("EXPORTER-tern 0rtt", client_early));
  const auto hello = take_all(*client);
  REQUIRE_FALSE(server->provide_input(hello));
  CHECK(server->early_data() == early_data_status::accepted);
  REQUIRE_FALSE(server->export_early_keying_material("EXPORTER-tern 0rtt", server_early));
  CHECK(client_early == server_early);
  run_handshake(*client, *server);
  CHECK(client->handshake_complete());
  CHECK(server->handshake_complete());
  CHECK(client->early_data() == early_data_status::accepted);
  CHECK(server->early_data() == early_data_status::accepted);

  // The same ticket again (a replayed first flight): resumes, no early data.
  auto replayed = handshake_with(ctx, ticket, true);
  CHECK(replayed.server->resumed());
  CHECK(replayed.server->early_data() == early_data_status::rejected);
  CHECK(replayed.client->early_data() == early_data_status::rejected);
  std::array<std::byte, 32> none{};
  CHECK(replayed.server->export_early_keying_material("EXPORTER-tern 0rtt", none) == crypto_errc::key_unavailable);
  CHECK(p.server.tickets.replay->size() == 1);
}

TEST_CASE("early data: a server that takes none resumes and rejects it, and so does a full register") {
  auto p = resumable_pair::make(true);
  SUBCASE("not accepted by configuration") {
    auto ctx = contexts::make(p.client, p.server);
    const auto ticket = first_ticket(ctx);
    auto no_early = p.server;
    no_early.tickets.accept_early_data = false;
    auto ctx2 = contexts::make(p.client, no_early);
    auto o = handshake_with(ctx2, ticket, true);
    CHECK(o.server->resumed());
    CHECK(o.client->early_data() == early_data_status::rejected);
  }
  SUBCASE("register full") {
    p.server.tickets.replay = std::make_shared<replay_guard>(0);
    auto ctx = contexts::make(p.client, p.server);
    const auto ticket = first_ticket(ctx);
    auto o = handshake_with(ctx, ticket, true);
    CHECK(o.server->resumed());
    CHECK(o.client->early_data() == early_data_status::rejected);
  }
}

TEST_CASE("replay_guard: single use within the lifetime, bounded, forgets expired entries") {
  replay_guard g(2);
  const std::array<std::uint8_t, 4> a{1, 2, 3, 4}, b{5, 6, 7, 8}, c{9, 9, 9, 9};
  CHECK(g.first_use(a, 100, 200));
  CHECK_FALSE(g.first_use(a, 150, 200));
  CHECK(g.first_use(b, 150, 210));
  CHECK_FALSE(g.first_use(c, 150, 250)); // full: refused, not admitted unchecked
  CHECK(g.first_use(c, 200, 300));       // a expired at 200 and was forgotten
  CHECK_FALSE(g.first_use(c, 201, 300));
  CHECK_FALSE(g.first_use(a, 301, 300)); // expired tickets never pass
  CHECK(g.size() <= 2);
}

TEST_CASE("client_ticket: encoding round trip and bounds") {
  client_ticket t;
  t.server_name = "example.org";
  t.alpn = "tern/1";
  t.peer_key = spki_digest{};
  t.own_key = spki_digest{std::byte{1}};
  t.session = std::vector<std::byte>(100, std::byte{7});
  std::error_code ec;
  const auto bytes = t.encode();
  auto back = client_ticket::decode(bytes, ec);
  REQUIRE(back);
  CHECK(back->server_name == t.server_name);
  CHECK(back->alpn == t.alpn);
  CHECK(back->peer_key == t.peer_key);
  CHECK(back->own_key == t.own_key);
  CHECK(back->session == t.session);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(client_ticket::decode(std::span{bytes}.first(n), ec));
  std::vector<std::byte> huge(client_ticket::max_encoded_length + 1);
  CHECK_FALSE(client_ticket::decode(huge, ec));
}

TEST_CASE(
    "resumption: a rotating ring turns on the server's clock: a ticket resumes one rotation later, not two") {
  // OpenSSL stamps sessions with the real clock, so the test clock starts
  // there and only moves forward.
  auto p = resumable_pair::make();
  std::error_code ec;
  const std::int64_t boundary = *p.clock / 600 * 600; // the current 600 s period began then
  p.server.tickets.keys = ticket_key_ring::rotating(std::chrono::seconds(600), {}, *p.clock, ec);
  REQUIRE(p.server.tickets.keys);
  auto ctx = contexts::make(p.client, p.server);
  const auto ticket = first_ticket(ctx);
  const auto issued_period = p.server.tickets.keys->period();
  CHECK(issued_period == boundary / 600);

  SUBCASE("same period and the next: resumed") {
    CHECK(handshake_with(ctx, ticket).server->resumed());
    CHECK(p.server.tickets.keys->period() == issued_period);
    *p.clock = boundary + 600; // the next period: the ring rotates at this handshake
    auto o = handshake_with(ctx, ticket);
    CHECK(o.server->resumed());
    CHECK(p.server.tickets.keys->period() == issued_period + 1);
    CHECK(o.client->tickets_received() == 1); // renewed under the new key
  }
  SUBCASE("two periods later: a full handshake, and a fresh ticket that resumes") {
    *p.clock = boundary + 1200;
    auto o = handshake_with(ctx, ticket);
    CHECK_FALSE(o.server->resumed());
    CHECK_FALSE(o.client->resumed());
    REQUIRE(o.client->tickets_received() == 1);
    CHECK(handshake_with(ctx, o.client->ticket()).server->resumed());
  }
}
