#include <doctest/doctest.h>

#include "helpers.hpp"
#include "rfc5769_vectors.hpp"

#include "stun/binding_responder.hpp"
#include "stun/binding_transaction.hpp"
#include "stun/integrity.hpp"

#include <vector>

using namespace tern::stun;
using namespace tern::stun::test;
using action = responder_result::action;

namespace {

const auto source4 = transport_address::ipv4({192, 0, 2, 44}, 61000);
const auto source6 = *parse_transport_address("[2001:db8:aa::5]:443");

std::vector<std::byte>
request(std::initializer_list<std::pair<std::uint16_t, std::vector<std::uint8_t>>> attrs, std::uint8_t id = 1,
        bool fingerprint = true) {
  std::array<std::byte, 1024> buf{};
  message_writer w{buf, method::binding, message_class::request, make_id(id)};
  for (const auto& [type, value] : attrs) w.add(type, std::as_bytes(std::span{value}));
  if (fingerprint) w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  return copy(w.bytes());
}

message decoded(std::span<const std::byte> bytes, decode_options o = {}) {
  message m;
  REQUIRE_FALSE(decode(bytes, m, o));
  return m;
}

} // namespace

TEST_CASE("binding_responder: answers with the source as XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT") {
  binding_responder responder;
  std::array<std::byte, 548> out{};
  for (const auto& source : {source4, source6}) {
    CAPTURE(source.to_string());
    const auto req = request({}, 3);
    const auto r = responder.handle(req, source, out);
    REQUIRE(r.what == action::reply);
    CHECK(r.error_code == 0);
    const auto m = decoded(r.reply);
    CHECK(m.cls == message_class::success_response);
    CHECK(m.method == method::binding);
    CHECK(m.id == make_id(3));
    REQUIRE(m.xor_mapped_address);
    CHECK(*m.xor_mapped_address == source);
    CHECK_FALSE(m.mapped_address);
    CHECK(*m.software == "tern");
    CHECK(m.fingerprint_offset != 0);
  }
}

TEST_CASE("binding_responder: a tern binding_transaction completes against it") {
  responder_options quiet;
  quiet.software.clear();
  quiet.fingerprint = false;
  binding_responder responder{quiet};
  binding_transaction tx{make_id(4)};
  std::array<std::byte, 548> out{};
  const auto r = responder.handle(tx.poll_transmit(tern::time_point{}), source6, out);
  REQUIRE(r.what == action::reply);
  const auto m = decoded(r.reply);
  CHECK_FALSE(m.software);
  CHECK(m.fingerprint_offset == 0);
  REQUIRE(tx.on_response(r.reply, tern::time_point{}));
  CHECK(*tx.mapped_address() == source6);
}

TEST_CASE("binding_responder: a retransmitted request gets the same answer") {
  binding_responder responder;
  std::array<std::byte, 548> a{}, b{};
  const auto req = request({{attr::software, {'c', 'l', 'i'}}});
  const auto ra = responder.handle(req, source4, a);
  const auto rb = responder.handle(req, source4, b);
  CHECK(copy(ra.reply) == copy(rb.reply));
}

TEST_CASE("binding_responder: indications and responses are ignored, not answered") {
  binding_responder responder;
  std::array<std::byte, 548> out{};
  std::array<std::byte, 64> buf{};
  message_writer ind{buf, method::binding, message_class::indication, make_id(5)};
  ind.add_fingerprint();
  CHECK(responder.handle(ind.bytes(), source4, out).what == action::ignore);
  message_writer resp{buf, method::binding, message_class::success_response, make_id(5)};
  resp.add_xor_mapped_address(source4);
  CHECK(responder.handle(resp.bytes(), source4, out).what == action::ignore);
}

TEST_CASE("binding_responder: header-level garbage is dropped silently") {
  binding_responder responder;
  std::array<std::byte, 548> out{};
  const auto good = request({});

  auto r = responder.handle(std::span{good}.first(19), source4, out);
  CHECK(r.what == action::discard);
  CHECK(r.reason == stun_errc::truncated);

  auto v = good;
  v[0] = std::byte{0xC0};
  CHECK(responder.handle(v, source4, out).reason == stun_errc::not_stun);

  v = good;
  v[4] = std::byte{0};
  r = responder.handle(v, source4, out);
  CHECK(r.what == action::discard);
  CHECK(r.reason == stun_errc::bad_magic_cookie);

  v = good;
  v.push_back(std::byte{0});
  CHECK(responder.handle(v, source4, out).reason == stun_errc::length_mismatch);

  v = good;
  v.back() ^= std::byte{1};
  r = responder.handle(v, source4, out);
  CHECK(r.what == action::discard);
  CHECK(r.reason == stun_errc::fingerprint_mismatch);

  // Allocate (0x003) is not a method tern serves.
  std::array<std::byte, 64> buf{};
  message_writer alloc{buf, 0x003, message_class::request, make_id(6)};
  r = responder.handle(alloc.bytes(), source4, out);
  CHECK(r.what == action::discard);
  CHECK(r.reason == stun_errc::unsupported_method);
}

TEST_CASE("binding_responder: malformed attributes get 400 Bad Request") {
  binding_responder responder;
  std::array<std::byte, 548> out{};
  for (const auto& req :
       {request({{attr::xor_mapped_address, {0, 1, 2}}}, 7), request({{attr::error_code, {0, 0, 9, 0}}}, 7),
        request({{attr::username, std::vector<std::uint8_t>(600, 'u')}}, 7)}) {
    const auto r = responder.handle(req, source4, out);
    REQUIRE(r.what == action::reply);
    CHECK(r.error_code == 400);
    const auto m = decoded(r.reply);
    CHECK(m.cls == message_class::error_response);
    CHECK(m.id == make_id(7));
    CHECK(m.error->code == 400);
    CHECK(m.error->reason == "Bad Request");
    CHECK_FALSE(m.xor_mapped_address);
  }
}

TEST_CASE("binding_responder: unknown comprehension-required attributes get 420 with UNKNOWN-ATTRIBUTES") {
  binding_responder responder;
  std::array<std::byte, 548> out{};
  const auto req = request({{0x7001, {}}, {0x8001, {1, 2, 3, 4}}, {attr::change_request, {0, 0, 0, 6}}});
  const auto r = responder.handle(req, source4, out);
  REQUIRE(r.what == action::reply);
  CHECK(r.error_code == 420);
  const auto m = decoded(r.reply);
  CHECK(m.error->code == 420);
  REQUIRE(m.unknown_attribute_count() == 2);
  CHECK(m.unknown_attribute(0) == 0x7001);
  CHECK(m.unknown_attribute(1) == attr::change_request);

  // RFC 5769's sample request carries the ICE PRIORITY attribute.
  const auto r2 = responder.handle(bytes_of(sample_request), source4, out);
  REQUIRE(r2.what == action::reply);
  CHECK(r2.error_code == 420);
  CHECK(decoded(r2.reply).unknown_attribute(0) == 0x0024);
}

TEST_CASE("binding_responder: RFC 3489 clients get MAPPED-ADDRESS and their 128-bit ID back, when enabled") {
  // A classic request: no cookie (the first 4 bytes of a 128-bit ID instead).
  auto req = request({}, 8, false);
  req[4] = std::byte{0x01};
  req[5] = std::byte{0x2c};
  std::array<std::byte, 548> out{};

  binding_responder strict;
  CHECK(strict.handle(req, source4, out).reason == stun_errc::bad_magic_cookie);

  responder_options classic_options;
  classic_options.accept_rfc3489 = true;
  binding_responder classic{classic_options};
  const auto r = classic.handle(req, source4, out);
  REQUIRE(r.what == action::reply);
  const auto m = decoded(r.reply, {.accept_rfc3489 = true});
  CHECK(m.rfc3489);
  CHECK(std::equal(r.reply.begin() + 4, r.reply.begin() + 20, req.begin() + 4));
  REQUIRE(m.mapped_address);
  CHECK(*m.mapped_address == source4);
  CHECK_FALSE(m.xor_mapped_address);
  CHECK(m.fingerprint_offset == 0);

  // With CHANGE-REQUEST (which the classic `stun` client always sends): 420.
  auto with_change = request({{attr::change_request, {0, 0, 0, 0}}}, 8, false);
  with_change[4] = std::byte{0x01};
  const auto r2 = classic.handle(with_change, source4, out);
  REQUIRE(r2.what == action::reply);
  CHECK(r2.error_code == 420);
  CHECK(std::equal(r2.reply.begin() + 4, r2.reply.begin() + 20, with_change.begin() + 4));
  // A classic "response" is not answered.
  auto resp = req;
  resp[1] = std::byte{0x01};
  resp[0] = std::byte{0x01};
  CHECK(classic.handle(resp, source4, out).what == action::discard);
}

TEST_CASE("binding_responder: short-term credentials give 400, 401 or an integrity-protected answer") {
  responder_options o;
  o.credentials = short_term_credentials{"evtj:h6vY", key_of(short_term_password), false};
  binding_responder responder{o};
  std::array<std::byte, 548> out{};

  auto r = responder.handle(request({}), source4, out); // neither USERNAME nor integrity
  CHECK(r.error_code == 400);

  binding_options bo;
  bo.credentials = short_term_credentials{"someone:else", key_of(short_term_password), false};
  binding_transaction wrong_user{make_id(9), bo};
  r = responder.handle(wrong_user.poll_transmit({}), source4, out);
  CHECK(r.error_code == 401);
  CHECK(decoded(r.reply).integrity_offset == 0);

  bo.credentials = short_term_credentials{"evtj:h6vY", key_of("not the password"), false};
  binding_transaction wrong_key{make_id(10), bo};
  r = responder.handle(wrong_key.poll_transmit({}), source4, out);
  CHECK(r.error_code == 401);

  bo.credentials = short_term_credentials{"evtj:h6vY", key_of(short_term_password), false};
  binding_transaction right{make_id(11), bo};
  r = responder.handle(right.poll_transmit({}), source4, out);
  REQUIRE(r.what == action::reply);
  CHECK(r.error_code == 0);
  const auto m = decoded(r.reply);
  CHECK_FALSE(verify_message_integrity(m, key_of(short_term_password)));
  CHECK_FALSE(m.username); // RFC 8489 §9.1.3: responses carry no USERNAME

  // RFC 5769's sample request authenticates, then fails on PRIORITY: the
  // 420 is integrity-protected because the request was authenticated.
  r = responder.handle(bytes_of(sample_request), source4, out);
  CHECK(r.error_code == 420);
  CHECK_FALSE(verify_message_integrity(decoded(r.reply), key_of(short_term_password)));
}

TEST_CASE("binding_responder: a reply that does not fit the output buffer is dropped") {
  responder_options verbose;
  verbose.software = std::string(400, 's');
  binding_responder responder{verbose};
  std::array<std::byte, 64> small{};
  const auto r = responder.handle(request({}), source6, small);
  CHECK(r.what == action::discard);
  CHECK(r.reason == stun_errc::buffer_too_small);
}
