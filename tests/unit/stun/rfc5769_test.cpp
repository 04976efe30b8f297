// RFC 5769 test vectors: decoding, integrity, fingerprint, and byte-exact
// re-encoding of the samples.
#include <doctest/doctest.h>

#include "helpers.hpp"
#include "rfc5769_vectors.hpp"

#include "stun/crc32.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

using namespace tern::stun;
using namespace tern::stun::test;

namespace {

transaction_id sample_id() {
  transaction_id id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(sample_transaction_id[i]);
  return id;
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

TEST_CASE("rfc5769: the sample request decodes, verifies and lists PRIORITY as unknown") {
  message m;
  REQUIRE_FALSE(decode(bytes_of(sample_request), m));
  CHECK(m.method == method::binding);
  CHECK(m.cls == message_class::request);
  CHECK(m.id == sample_id());
  CHECK_FALSE(m.rfc3489);
  REQUIRE(m.software);
  CHECK(*m.software == "STUN test client");
  REQUIRE(m.username);
  CHECK(*m.username == "evtj:h6vY");
  CHECK(m.fingerprint_offset == 100);
  CHECK(m.integrity_offset == 76);
  // PRIORITY (0x0024) is an ICE attribute tern does not implement;
  // ICE-CONTROLLED (0x8029) is comprehension-optional and ignored.
  REQUIRE(m.unknown_comprehension_required().size() == 1);
  CHECK(m.unknown_comprehension_required()[0] == 0x0024);
  CHECK_FALSE(verify_message_integrity(m, password_key()));
  CHECK(verify_message_integrity(m, text_bytes("VOkJxbRl1RmTxUk/WvJxBT")) == stun_errc::integrity_mismatch);
  CHECK(verify_message_integrity_sha256(m, password_key()) == stun_errc::integrity_missing);
  CHECK_FALSE(verify_integrity(m, password_key()));
}

TEST_CASE("rfc5769: the IPv4 sample response gives 192.0.2.1:32853") {
  message m;
  REQUIRE_FALSE(decode(bytes_of(sample_ipv4_response), m));
  CHECK(m.cls == message_class::success_response);
  CHECK(m.method == method::binding);
  REQUIRE(m.xor_mapped_address);
  CHECK(*m.xor_mapped_address == transport_address::ipv4({192, 0, 2, 1}, 32853));
  CHECK(m.xor_mapped_address->to_string() == "192.0.2.1:32853");
  REQUIRE(m.software);
  CHECK(*m.software == "test vector");
  CHECK(m.unknown_comprehension_required().empty());
  CHECK_FALSE(verify_message_integrity(m, password_key()));
}

TEST_CASE("rfc5769: the IPv6 sample response gives [2001:db8:1234:5678:11:2233:4455:6677]:32853") {
  message m;
  REQUIRE_FALSE(decode(bytes_of(sample_ipv6_response), m));
  REQUIRE(m.xor_mapped_address);
  CHECK(m.xor_mapped_address->family == address_family::ipv6);
  CHECK(m.xor_mapped_address->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  CHECK_FALSE(verify_message_integrity(m, password_key()));
}

TEST_CASE("rfc5769: the long-term sample verifies under MD5(username:realm:password)") {
  message m;
  REQUIRE_FALSE(decode(bytes_of(sample_long_term_request), m));
  CHECK(m.fingerprint_offset == 0);
  REQUIRE(m.username);
  CHECK(*m.username == "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9");
  REQUIRE(m.realm);
  CHECK(*m.realm == "example.org");
  REQUIRE(m.nonce);
  CHECK(*m.nonce == "f//499k954d6OL34oL9FSTvy64sA");
  // tern implements short-term credentials only; the long-term key is
  // derived here to show that the HMAC input framing is right.
  const std::string input = std::string(*m.username) + ":example.org:TheMatrIX";
  std::array<std::byte, 16> key{};
  unsigned int key_size = 0;
  REQUIRE(EVP_Digest(input.data(), input.size(), reinterpret_cast<unsigned char*>(key.data()), &key_size,
                     EVP_md5(), nullptr) == 1);
  REQUIRE(key_size == 16);
  CHECK_FALSE(verify_message_integrity(m, key));
}

TEST_CASE("rfc5769: the writer reproduces the IPv4 and IPv6 responses byte for byte") {
  for (const bool v6 : {false, true}) {
    CAPTURE(v6);
    std::array<std::byte, 128> buf{};
    message_writer w{buf, method::binding, message_class::success_response, sample_id()};
    w.set_padding(std::byte{0x20});
    w.add_text(attr::software, "test vector");
    if (v6)
      w.add_xor_mapped_address(*parse_transport_address("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
    else
      w.add_xor_mapped_address(transport_address::ipv4({192, 0, 2, 1}, 32853));
    w.add_message_integrity(password_key());
    w.add_fingerprint();
    REQUIRE_FALSE(w.error());
    if (v6)
      CHECK(same(w.bytes(), bytes_of(sample_ipv6_response)));
    else
      CHECK(same(w.bytes(), bytes_of(sample_ipv4_response)));
  }
}

TEST_CASE("rfc5769: the writer reproduces the sample request byte for byte") {
  std::array<std::byte, 128> buf{};
  message_writer w{buf, method::binding, message_class::request, sample_id()};
  w.set_padding(std::byte{0x20});
  w.add_text(attr::software, "STUN test client");
  const std::array<std::uint8_t, 4> priority{0x6e, 0x00, 0x01, 0xff};
  w.add(0x0024, std::as_bytes(std::span{priority}));
  const std::array<std::uint8_t, 8> tie_breaker{0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36};
  w.add(0x8029, std::as_bytes(std::span{tie_breaker}));
  w.add_text(attr::username, "evtj:h6vY");
  w.add_message_integrity(password_key());
  w.add_fingerprint();
  REQUIRE_FALSE(w.error());
  CHECK(same(w.bytes(), bytes_of(sample_request)));
}

TEST_CASE("rfc5769: a flipped bit breaks the fingerprint, and with a fixed fingerprint the integrity") {
  auto tampered = copy(bytes_of(sample_ipv4_response));
  tampered[30] ^= std::byte{0x01}; // inside SOFTWARE
  message m;
  CHECK(decode(tampered, m) == stun_errc::fingerprint_mismatch);

  // Recompute FINGERPRINT so that only MESSAGE-INTEGRITY can notice.
  const std::uint32_t fp = crc32(std::span{tampered}.first(72)) ^ fingerprint_xor;
  for (int i = 0; i < 4; ++i) tampered[76 + i] = static_cast<std::byte>(fp >> (24 - 8 * i));
  REQUIRE_FALSE(decode(tampered, m));
  CHECK(verify_message_integrity(m, password_key()) == stun_errc::integrity_mismatch);
}
