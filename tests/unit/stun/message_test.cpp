// Codec: header and attribute validation, malformed input, writer.
#include <doctest/doctest.h>

#include "helpers.hpp"

#include "stun/integrity.hpp"
#include "stun/message.hpp"

#include <string>
#include <vector>

using namespace tern::stun;
using namespace tern::stun::test;

namespace {

// A request with the given raw attributes; `fingerprint` appends FINGERPRINT.
std::vector<std::byte> build(std::initializer_list<std::pair<std::uint16_t, std::vector<std::uint8_t>>> attrs,
                             bool fingerprint = false) {
  std::array<std::byte, 2048> buf{};
  message_writer w{buf, method::binding, message_class::request, make_id(1)};
  for (const auto& [type, value] : attrs) w.add(type, std::as_bytes(std::span{value}));
  if (fingerprint) w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  return copy(w.bytes());
}

std::error_code decode_bytes(const std::vector<std::byte>& v) {
  message m;
  return decode(v, m);
}

} // namespace

TEST_CASE("message: the message type interleaves method and class bits (RFC 8489 figure 3)") {
  CHECK(make_message_type(method::binding, message_class::request) == 0x0001);
  CHECK(make_message_type(method::binding, message_class::indication) == 0x0011);
  CHECK(make_message_type(method::binding, message_class::success_response) == 0x0101);
  CHECK(make_message_type(method::binding, message_class::error_response) == 0x0111);
  for (std::uint16_t m = 0; m < 0x1000; ++m) {
    for (auto c : {message_class::request, message_class::indication, message_class::success_response,
                   message_class::error_response}) {
      const auto t = make_message_type(m, c);
      REQUIRE(t < 0x4000);
      REQUIRE(method_of(t) == m);
      REQUIRE(class_of(t) == c);
    }
  }
}

TEST_CASE("message: header checks reject what is not a STUN message") {
  auto good = build({});
  message m;
  REQUIRE_FALSE(decode(good, m));
  CHECK(m.id == make_id(1));

  CHECK(decode_bytes(std::vector<std::byte>(19)) == stun_errc::truncated);
  CHECK(decode_bytes({}) == stun_errc::truncated);

  auto v = good;
  v[0] = std::byte{0x40};
  CHECK(decode_bytes(v) == stun_errc::not_stun);
  v = good;
  v[0] = std::byte{0x80};
  CHECK(decode_bytes(v) == stun_errc::not_stun);

  v = good;
  v[5] = std::byte{0x13};
  CHECK(decode_bytes(v) == stun_errc::bad_magic_cookie);
  CHECK_FALSE(decode(v, m, {.accept_rfc3489 = true}));
  CHECK(m.rfc3489);
  CHECK(m.cookie[1] == std::byte{0x13});

  v = build({{attr::software, {'a', 'b', 'c', 'd'}}});
  put_u16(v, 2, 6);
  CHECK(decode_bytes(v) == stun_errc::bad_length);
  put_u16(v, 2, 4);
  CHECK(decode_bytes(v) == stun_errc::length_mismatch);
  put_u16(v, 2, 12);
  CHECK(decode_bytes(v) == stun_errc::length_mismatch);
  v.push_back(std::byte{0});
  put_u16(v, 2, 8);
  CHECK(decode_bytes(v) == stun_errc::length_mismatch);
}

TEST_CASE("message: attribute framing must stay inside the message, padding included") {
  // SOFTWARE "abcde": length 5, padded to 8.
  auto v = build({{attr::software, {'a', 'b', 'c', 'd', 'e'}}});
  REQUIRE(v.size() == 32);
  CHECK_FALSE(decode_bytes(v));

  auto w = v;
  put_u16(w, 22, 9); // value would need 12 bytes, only 8 follow
  CHECK(decode_bytes(w) == stun_errc::attribute_overrun);
  w = v;
  put_u16(w, 22, 0xFFFF);
  CHECK(decode_bytes(w) == stun_errc::attribute_overrun);

  // Length 5 inside the message but padding past its end: drop the last 4
  // bytes and shorten the header length to match.
  w = v;
  w.resize(28);
  put_u16(w, 2, 8);
  CHECK(decode_bytes(w) == stun_errc::attribute_overrun);

  // A lone attribute header with a zero-length value is fine.
  CHECK_FALSE(decode_bytes(build({{0x8055, {}}})));
}

TEST_CASE("message: padding bytes may hold anything") {
  std::array<std::byte, 64> buf{};
  message_writer w{buf, method::binding, message_class::request, make_id(1)};
  w.set_padding(std::byte{0xAA});
  w.add_text(attr::software, "a");
  w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  REQUIRE(w.bytes()[25] == std::byte{0xAA});
  message m;
  REQUIRE_FALSE(decode(w.bytes(), m));
  REQUIRE(m.software);
  CHECK(*m.software == "a");
}

TEST_CASE("message: known attributes with impossible values are rejected") {
  CHECK(decode_bytes(build({{attr::xor_mapped_address, {0, 1, 0, 0, 1, 2, 3}}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::xor_mapped_address, {0, 1, 0, 0}}})) == stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::xor_mapped_address, {0, 1}}})) == stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::xor_mapped_address, {0, 3, 0, 0, 1, 2, 3, 4}}})) ==
        stun_errc::bad_address_family);
  CHECK(decode_bytes(build({{attr::mapped_address, {0, 2, 0, 0, 1, 2, 3, 4}}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::mapped_address, {0, 0, 0, 0, 1, 2, 3, 4}}})) ==
        stun_errc::bad_address_family);
  CHECK(decode_bytes(build({{attr::fingerprint, {0, 0, 0, 0, 0, 0, 0, 0}}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::message_integrity, std::vector<std::uint8_t>(16)}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::message_integrity_sha256, std::vector<std::uint8_t>(12)}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::message_integrity_sha256, std::vector<std::uint8_t>(36)}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::message_integrity_sha256, std::vector<std::uint8_t>(18)}})) ==
        stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::error_code, {0, 0, 4}}})) == stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::error_code, {0, 0, 2, 0}}})) == stun_errc::bad_error_code);
  CHECK(decode_bytes(build({{attr::error_code, {0, 0, 7, 0}}})) == stun_errc::bad_error_code);
  CHECK(decode_bytes(build({{attr::error_code, {0, 0, 4, 100}}})) == stun_errc::bad_error_code);
  CHECK(decode_bytes(build({{attr::unknown_attributes, {0, 1, 0}}})) == stun_errc::bad_attribute_length);
  CHECK(decode_bytes(build({{attr::software, std::vector<std::uint8_t>(764, 'x')}})) ==
        stun_errc::value_too_long);
  CHECK_FALSE(decode_bytes(build({{attr::software, std::vector<std::uint8_t>(763, 'x')}})));
  CHECK(decode_bytes(build({{attr::username, std::vector<std::uint8_t>(513, 'x')}})) ==
        stun_errc::value_too_long);
}

TEST_CASE("message: ERROR-CODE and UNKNOWN-ATTRIBUTES round-trip") {
  std::array<std::byte, 256> buf{};
  message_writer w{buf, method::binding, message_class::error_response, make_id(2)};
  const std::array<std::uint16_t, 3> unknown{0x0024, 0x0003, 0x7777};
  w.add_error_code(420, "Unknown Attribute");
  w.add_unknown_attributes(unknown);
  w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  message m;
  REQUIRE_FALSE(decode(w.bytes(), m));
  CHECK(m.cls == message_class::error_response);
  REQUIRE(m.error);
  CHECK(m.error->code == 420);
  CHECK(m.error->reason == "Unknown Attribute");
  REQUIRE(m.unknown_attribute_count() == 3);
  CHECK(m.unknown_attribute(0) == 0x0024);
  CHECK(m.unknown_attribute(2) == 0x7777);
  CHECK(m.unknown_attribute(3) == 0);
  // ERROR-CODE's reserved bits are ignored on receipt.
  auto v = build({{attr::error_code, {0xFF, 0xFF, 0xFD, 99}}});
  REQUIRE_FALSE(decode(v, m));
  CHECK(m.error->code == 599);
}

TEST_CASE("message: FINGERPRINT must be last and correct") {
  auto v = build({{attr::software, {'t', 'e', 'r', 'n'}}}, true);
  CHECK_FALSE(decode_bytes(v));
  // Append an attribute after FINGERPRINT and fix the length.
  v.insert(v.end(), {std::byte{0x80}, std::byte{0x22}, std::byte{0}, std::byte{0}});
  put_u16(v, 2, static_cast<std::uint16_t>(v.size() - 20));
  CHECK(decode_bytes(v) == stun_errc::fingerprint_not_last);

  v = build({{attr::software, {'t', 'e', 'r', 'n'}}}, true);
  v.back() ^= std::byte{1};
  CHECK(decode_bytes(v) == stun_errc::fingerprint_mismatch);
}

TEST_CASE("message: unknown comprehension-required attributes are listed once each, optional ones ignored") {
  auto v = build({{0x7001, {}},
                  {0x8001, {1, 2, 3, 4}},
                  {0x0024, {0, 0, 0, 1}},
                  {0x7001, {}},
                  {attr::change_request, {0, 0, 0, 0}}});
  message m;
  REQUIRE_FALSE(decode(v, m));
  const auto unknown = m.unknown_comprehension_required();
  REQUIRE(unknown.size() == 3);
  CHECK(unknown[0] == 0x7001);
  CHECK(unknown[1] == 0x0024);
  CHECK(unknown[2] == attr::change_request);
  // The iterator sees every attribute, in order.
  std::vector<std::uint16_t> types;
  for (const auto& a : m) types.push_back(a.type);
  CHECK(types == std::vector<std::uint16_t>{0x7001, 0x8001, 0x0024, 0x7001, attr::change_request});
}

TEST_CASE("message: at most max_unknown unknown types are recorded") {
  std::array<std::byte, 1024> buf{};
  message_writer w{buf, method::binding, message_class::request, make_id(3)};
  for (std::uint16_t t = 0x7000; t < 0x7000 + 40; ++t) w.add(t, {});
  message m;
  REQUIRE_FALSE(decode(w.bytes(), m));
  CHECK(m.unknown_comprehension_required().size() == message::max_unknown);
}

TEST_CASE("message: the first occurrence of an attribute wins") {
  auto v = build({{attr::software, {'o', 'n', 'e', '!'}}, {attr::software, {'t', 'w', 'o', '!'}}});
  message m;
  REQUIRE_FALSE(decode(v, m));
  CHECK(*m.software == "one!");
}

TEST_CASE("message: attributes after MESSAGE-INTEGRITY are ignored, except SHA256 and FINGERPRINT") {
  const auto key = key_of("secret");
  std::array<std::byte, 256> buf{};
  message_writer w{buf, method::binding, message_class::success_response, make_id(4)};
  w.add_xor_mapped_address(transport_address::ipv4({198, 51, 100, 7}, 4242));
  w.add_message_integrity(key);
  w.add_xor_mapped_address(transport_address::ipv4({203, 0, 113, 9}, 1)); // ignored
  const std::array<std::uint8_t, 4> zero{};
  w.add(0x7123, std::as_bytes(std::span{zero})); // ignored, not "unknown"
  w.add_message_integrity_sha256(key, 16);
  w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  message m;
  REQUIRE_FALSE(decode(w.bytes(), m));
  CHECK(m.xor_mapped_address->to_string() == "198.51.100.7:4242");
  CHECK(m.unknown_comprehension_required().empty());
  CHECK(m.integrity_offset != 0);
  CHECK(m.integrity_sha256_offset != 0);
  CHECK_FALSE(verify_message_integrity(m, key));
  CHECK_FALSE(verify_message_integrity_sha256(m, key));
  CHECK(verify_message_integrity_sha256(m, key_of("Secret")) == stun_errc::integrity_mismatch);
}

TEST_CASE("message: MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256 is ignored") {
  const auto key = key_of("k");
  std::array<std::byte, 256> buf{};
  message_writer w{buf, method::binding, message_class::request, make_id(5)};
  w.add_message_integrity_sha256(key);
  w.add_message_integrity(key);
  REQUIRE_FALSE(w.error());
  message m;
  REQUIRE_FALSE(decode(w.bytes(), m));
  CHECK(m.integrity_sha256_offset == 20);
  CHECK(m.integrity_offset == 0);
  CHECK_FALSE(verify_integrity(m, key));
  CHECK(verify_message_integrity(m, key) == stun_errc::integrity_missing);
}

TEST_CASE("message: truncated MESSAGE-INTEGRITY-SHA256 lengths verify") {
  const auto key = key_of("VOkJxbRl1RmTxUk/WvJxBt");
  for (std::size_t len = 16; len <= 32; len += 4) {
    CAPTURE(len);
    std::array<std::byte, 256> buf{};
    message_writer w{buf, method::binding, message_class::request, make_id(6)};
    w.add_text(attr::username, "user");
    w.add_message_integrity_sha256(key, len);
    w.add_fingerprint();
    REQUIRE_FALSE(w.error());
    message m;
    REQUIRE_FALSE(decode(w.bytes(), m));
    CHECK_FALSE(verify_integrity(m, key));
    CHECK(verify_integrity(m, key_of("x")) == stun_errc::integrity_mismatch);
  }
}

TEST_CASE("message: writer errors are sticky and leave no bytes") {
  std::array<std::byte, 10> tiny{};
  message_writer a{tiny, method::binding, message_class::request, make_id(7)};
  CHECK(a.error() == stun_errc::buffer_too_small);
  CHECK(a.bytes().empty());

  std::array<std::byte, 32> small{};
  message_writer b{small, method::binding, message_class::request, make_id(7)};
  b.add_text(attr::software, "12345678");
  CHECK_FALSE(b.error());
  b.add_text(attr::software, "1");
  CHECK(b.error() == stun_errc::buffer_too_small);
  b.add_fingerprint();
  CHECK(b.error() == stun_errc::buffer_too_small);
  CHECK(b.bytes().empty());

  std::array<std::byte, 2048> big{};
  message_writer c{big, method::binding, message_class::request, make_id(7)};
  c.add_text(attr::software, std::string(510, 'x'));
  CHECK(c.error() == stun_errc::value_too_long);
  message_writer d{big, method::binding, message_class::error_response, make_id(7)};
  d.add_error_code(700, "nope");
  CHECK(d.error() == stun_errc::bad_error_code);
  message_writer e{big, method::binding, message_class::request, make_id(7)};
  e.add_message_integrity_sha256(key_of("k"), 20 + 1);
  CHECK(e.error() == stun_errc::bad_attribute_length);
}

TEST_CASE(
    "message: XOR-MAPPED-ADDRESS round-trips for IPv4 and IPv6 and differs from MAPPED-ADDRESS on the wire") {
  for (const char* text : {"10.1.2.3:1", "255.255.255.255:65535", "[::1]:9", "[fe80::1:2:3:4]:40000"}) {
    CAPTURE(text);
    const auto a = *parse_transport_address(text);
    std::array<std::byte, 128> buf{};
    message_writer w{buf, method::binding, message_class::success_response, make_id(8)};
    w.add_xor_mapped_address(a);
    w.add_mapped_address(a);
    REQUIRE_FALSE(w.error());
    message m;
    REQUIRE_FALSE(decode(w.bytes(), m));
    CHECK(*m.xor_mapped_address == a);
    CHECK(*m.mapped_address == a);
    const auto bytes = w.bytes();
    CHECK_FALSE(
        std::equal(bytes.begin() + 24, bytes.begin() + 28, bytes.begin() + 28 + a.ip_bytes().size() + 4));
  }
}

TEST_CASE("message: the error category is tern.stun with readable messages") {
  const std::error_code ec = stun_errc::fingerprint_mismatch;
  CHECK(std::string(ec.category().name()) == "tern.stun");
  CHECK(ec.message().find("FINGERPRINT") != std::string::npos);
  CHECK(is_header_error(stun_errc::bad_magic_cookie));
  CHECK_FALSE(is_header_error(stun_errc::bad_attribute_length));
  CHECK_FALSE(is_header_error(std::make_error_code(std::errc::invalid_argument)));
  for (int i = 1; i <= static_cast<int>(stun_errc::timeout); ++i)
    CHECK(make_error_code(static_cast<stun_errc>(i)).message() != "unknown tern.stun error");
}
