// Binding client transaction in virtual time.
#include <doctest/doctest.h>

#include "helpers.hpp"

#include "stun/binding_responder.hpp"
#include "stun/binding_transaction.hpp"
#include "stun/integrity.hpp"

#include <chrono>
#include <vector>

using namespace tern::stun;
using namespace tern::stun::test;
using namespace std::chrono_literals;
using tern::time_point;

namespace {

const time_point t0{std::chrono::seconds{1000}};
const auto client = transport_address::ipv4({203, 0, 113, 5}, 54321);

// Runs the transaction with no responses; returns the send times (ms after
// t0) and sets `end` to when it failed.
std::vector<long long> run_silent(binding_transaction& tx, time_point& end) {
  std::vector<long long> sends;
  time_point now = t0;
  for (int guard = 0; guard < 100 && !tx.done(); ++guard) {
    if (!tx.poll_transmit(now).empty())
      sends.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(now - t0).count());
    now = tx.next_timeout();
    if (now == tern::never) break;
    tx.on_timeout(now);
  }
  end = now;
  return sends;
}

std::vector<std::byte> success_for(const binding_transaction& tx, const transport_address& mapped,
                                   bool fingerprint = true) {
  std::array<std::byte, 256> buf{};
  message_writer w{buf, method::binding, message_class::success_response, tx.id()};
  w.add_xor_mapped_address(mapped);
  w.add_text(attr::software, "test server");
  if (fingerprint) w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  return copy(w.bytes());
}

} // namespace

TEST_CASE("binding_transaction: RFC 8489 schedule, 0 0.5 1.5 3.5 7.5 15.5 31.5 s then timeout at 39.5 s") {
  binding_transaction tx{make_id(1)};
  time_point end;
  const auto sends = run_silent(tx, end);
  CHECK(sends == std::vector<long long>{0, 500, 1500, 3500, 7500, 15500, 31500});
  CHECK(tx.done());
  CHECK(tx.error() == stun_errc::timeout);
  CHECK(tx.transmissions() == 7);
  CHECK(end - t0 == 39500ms);
  CHECK(tx.next_timeout() == tern::never);
}

TEST_CASE("binding_transaction: Rc, Rm and the RTO are configurable") {
  binding_options o;
  o.initial_rto = 100ms;
  o.max_requests = 3;
  o.last_wait_factor = 4;
  binding_transaction tx{make_id(2), o};
  time_point end;
  CHECK(run_silent(tx, end) == std::vector<long long>{0, 100, 300});
  CHECK(end - t0 == 700ms);

  o.max_requests = 1;
  binding_transaction once{make_id(3), o};
  CHECK(run_silent(once, end) == std::vector<long long>{0});
  CHECK(end - t0 == 400ms);
}

TEST_CASE("binding_transaction: nothing is sent early and retransmissions are identical") {
  binding_transaction tx{make_id(4)};
  const auto first = copy(tx.poll_transmit(t0));
  REQUIRE_FALSE(first.empty());
  CHECK(tx.poll_transmit(t0).empty());
  tx.on_timeout(t0 + 499ms);
  CHECK(tx.poll_transmit(t0 + 499ms).empty());
  tx.on_timeout(t0 + 500ms);
  const auto second = copy(tx.poll_transmit(t0 + 500ms));
  CHECK(second == first);
  message m;
  REQUIRE_FALSE(decode(first, m));
  CHECK(m.cls == message_class::request);
  CHECK(m.id == make_id(4));
  CHECK(m.fingerprint_offset != 0);
}

TEST_CASE("binding_transaction: a matching success response yields the XOR-MAPPED-ADDRESS") {
  binding_transaction tx{make_id(5)};
  REQUIRE_FALSE(tx.poll_transmit(t0).empty());
  const auto mapped = *parse_transport_address("[2001:db8::77]:6000");
  CHECK(tx.on_response(success_for(tx, mapped), t0 + 20ms));
  CHECK(tx.current_state() == binding_transaction::state::succeeded);
  CHECK_FALSE(tx.error());
  REQUIRE(tx.mapped_address());
  CHECK(*tx.mapped_address() == mapped);
  CHECK_FALSE(tx.mapped_address_legacy());
  CHECK(tx.server_software() == "test server");
  CHECK(tx.next_timeout() == tern::never);
  CHECK(tx.poll_transmit(t0 + 10s).empty());
  // A duplicate response is still recognised as ours, and changes nothing.
  CHECK(tx.on_response(success_for(tx, client), t0 + 30ms));
  CHECK(*tx.mapped_address() == mapped);
}

TEST_CASE("binding_transaction: responses to other transactions, requests and garbage are not consumed") {
  binding_transaction tx{make_id(6)};
  REQUIRE_FALSE(tx.poll_transmit(t0).empty());
  binding_transaction other{make_id(7)};
  CHECK_FALSE(tx.on_response(success_for(other, client), t0));
  CHECK_FALSE(tx.on_response(tx.request(), t0)); // our own request reflected back
  const std::array<std::byte, 3> junk{};
  CHECK_FALSE(tx.on_response(junk, t0));
  CHECK_FALSE(tx.done());
}

TEST_CASE("binding_transaction: a response with a bad FINGERPRINT is dropped and retransmission goes on") {
  binding_transaction tx{make_id(8)};
  REQUIRE_FALSE(tx.poll_transmit(t0).empty());
  auto bad = success_for(tx, client);
  bad.back() ^= std::byte{0x5a};
  CHECK(tx.on_response(bad, t0 + 10ms));
  CHECK_FALSE(tx.done());
  tx.on_timeout(t0 + 500ms);
  CHECK_FALSE(tx.poll_transmit(t0 + 500ms).empty());
  CHECK(tx.on_response(success_for(tx, client), t0 + 510ms));
  CHECK(*tx.mapped_address() == client);
}

TEST_CASE("binding_transaction: an error response fails with its code and reason") {
  binding_transaction tx{make_id(9)};
  REQUIRE_FALSE(tx.poll_transmit(t0).empty());
  std::array<std::byte, 256> buf{};
  message_writer w{buf, method::binding, message_class::error_response, tx.id()};
  w.add_error_code(420, "Unknown Attribute");
  const std::array<std::uint16_t, 1> unknown{0x0003};
  w.add_unknown_attributes(unknown);
  REQUIRE(tx.on_response(w.bytes(), t0));
  CHECK(tx.current_state() == binding_transaction::state::failed);
  CHECK(tx.error() == stun_errc::error_response);
  CHECK(tx.error_response_code() == 420);
  CHECK(tx.error_reason() == "Unknown Attribute");
  CHECK(tx.unknown_attributes() == std::vector<std::uint16_t>{0x0003});
}

TEST_CASE("binding_transaction: a success response without an address, or with unknown required attributes, "
          "fails") {
  {
    binding_transaction tx{make_id(10)};
    std::array<std::byte, 64> buf{};
    message_writer w{buf, method::binding, message_class::success_response, tx.id()};
    REQUIRE(tx.on_response(w.bytes(), t0));
    CHECK(tx.error() == stun_errc::missing_mapped_address);
  }
  {
    binding_transaction tx{make_id(11)};
    std::array<std::byte, 64> buf{};
    message_writer w{buf, method::binding, message_class::success_response, tx.id()};
    w.add_xor_mapped_address(client);
    w.add(0x7abc, {});
    REQUIRE(tx.on_response(w.bytes(), t0));
    CHECK(tx.error() == stun_errc::unknown_comprehension_required);
  }
}

TEST_CASE(
    "binding_transaction: an RFC 3489 style response with MAPPED-ADDRESS and legacy attributes succeeds") {
  binding_transaction tx{make_id(12)};
  std::array<std::byte, 128> buf{};
  message_writer w{buf, method::binding, message_class::success_response, tx.id()};
  w.add_mapped_address(client);
  // SOURCE-ADDRESS and CHANGED-ADDRESS, as stund sends them (RFC 8489 §12: ignore).
  const std::array<std::uint8_t, 8> addr{0, 1, 0x0d, 0x96, 127, 0, 0, 1};
  w.add(attr::source_address, std::as_bytes(std::span{addr}));
  w.add(attr::changed_address, std::as_bytes(std::span{addr}));
  w.add(0x8020, std::as_bytes(std::span{addr})); // a pre-RFC XOR-MAPPED-ADDRESS code point
  REQUIRE(tx.on_response(w.bytes(), t0));
  CHECK(tx.current_state() == binding_transaction::state::succeeded);
  CHECK(*tx.mapped_address() == client);
  CHECK(tx.mapped_address_legacy());
}

TEST_CASE("binding_transaction: XOR-MAPPED-ADDRESS is preferred over MAPPED-ADDRESS") {
  binding_transaction tx{make_id(13)};
  std::array<std::byte, 128> buf{};
  message_writer w{buf, method::binding, message_class::success_response, tx.id()};
  w.add_mapped_address(transport_address::ipv4({10, 0, 0, 1}, 1)); // rewritten by an ALG, say
  w.add_xor_mapped_address(client);
  REQUIRE(tx.on_response(w.bytes(), t0));
  CHECK(*tx.mapped_address() == client);
  CHECK_FALSE(tx.mapped_address_legacy());
}

TEST_CASE("binding_transaction: with credentials, only responses with valid integrity count") {
  binding_options o;
  o.credentials = short_term_credentials{"alice:bob", key_of("pa55word"), false};
  o.software = "tern-test";
  binding_transaction tx{make_id(14), o};
  const auto request = copy(tx.poll_transmit(t0));
  message m;
  REQUIRE_FALSE(decode(request, m));
  CHECK(*m.username == "alice:bob");
  CHECK(*m.software == "tern-test");
  CHECK_FALSE(verify_message_integrity(m, key_of("pa55word")));

  // Unprotected response: dropped.
  CHECK(tx.on_response(success_for(tx, client), t0));
  CHECK_FALSE(tx.done());
  // Wrong key: dropped.
  responder_options ro;
  ro.credentials = short_term_credentials{"alice:bob", key_of("pa55word"), false};
  binding_responder good{ro};
  ro.credentials->key = key_of("other");
  binding_responder evil{ro};
  std::array<std::byte, 512> out{};
  // The evil responder rejects the request (401) since its key differs; its
  // 401 has no integrity and is dropped too.
  auto r = evil.handle(request, client, out);
  REQUIRE(r.what == responder_result::action::reply);
  CHECK(r.error_code == 401);
  CHECK(tx.on_response(r.reply, t0));
  CHECK_FALSE(tx.done());
  r = good.handle(request, client, out);
  REQUIRE(r.what == responder_result::action::reply);
  CHECK(r.error_code == 0);
  CHECK(tx.on_response(r.reply, t0));
  CHECK(tx.current_state() == binding_transaction::state::succeeded);
  CHECK(*tx.mapped_address() == client);
}

TEST_CASE("binding_transaction: SHA-256 integrity end to end") {
  binding_options o;
  o.credentials = short_term_credentials{"u", key_of("k"), true};
  binding_transaction tx{make_id(15), o};
  const auto request = copy(tx.poll_transmit(t0));
  message m;
  REQUIRE_FALSE(decode(request, m));
  CHECK(m.integrity_offset == 0);
  CHECK(m.integrity_sha256_offset != 0);
  responder_options ro;
  ro.credentials = o.credentials;
  binding_responder responder{ro};
  std::array<std::byte, 512> out{};
  const auto r = responder.handle(request, client, out);
  REQUIRE(r.what == responder_result::action::reply);
  REQUIRE_FALSE(decode(r.reply, m));
  CHECK(m.integrity_sha256_offset != 0);
  CHECK(tx.on_response(r.reply, t0));
  CHECK(*tx.mapped_address() == client);
}

TEST_CASE("binding_transaction: options that cannot be encoded fail at once") {
  binding_options o;
  o.software = std::string(600, 's');
  binding_transaction tx{make_id(16), o};
  CHECK(tx.done());
  CHECK(tx.error() == stun_errc::value_too_long);
  CHECK(tx.poll_transmit(t0).empty());
  CHECK(tx.next_timeout() == tern::never);
}
