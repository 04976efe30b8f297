#include <doctest/doctest.h>

#include "wire/header.hpp"
#include "wire/packet_number.hpp"
#include "wire_test_util.hpp"

#include <vector>

using namespace tern::wire;
using tern::wire::test::hex;
using tern::wire::test::text;

namespace {

connection_id cid(std::string_view hexdigits) {
  connection_id out;
  REQUIRE(!connection_id::from_bytes(hex(hexdigits), out));
  return out;
}

packet_header initial_header() {
  packet_header h;
  h.type = packet_type::initial;
  h.dcid = cid("0102030405060708");
  h.scid = cid("a1a2a3a4");
  h.token = text("token!");
  h.packet_number = 0x1234;
  return h;
}

std::vector<std::byte> encode_packet(const packet_header& h, std::span<const std::byte> payload,
                                     std::size_t length_width = 0) {
  std::vector<std::byte> buf(encoded_header_size(h, payload.size(), length_width) + payload.size());
  writer w{buf};
  const auto ec = encode_header(w, h, payload.size(), length_width);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(w.position() == encoded_header_size(h, payload.size(), length_width));
  if (h.type != packet_type::retry) REQUIRE(!w.write_bytes(payload));
  buf.resize(w.position());
  return buf;
}

decoded_header decode_ok(std::span<const std::byte> datagram, std::size_t short_dcid_length = 8) {
  decoded_header d;
  const auto ec = decode_header(datagram, short_dcid_length, d);
  REQUIRE_MESSAGE(!ec, ec.message());
  return d;
}

std::error_code decode_err(std::span<const std::byte> datagram, std::size_t short_dcid_length = 8) {
  decoded_header d;
  return decode_header(datagram, short_dcid_length, d);
}

} // namespace

TEST_CASE("header: initial packets round-trip with token, length and packet number") {
  const auto h = initial_header();
  const auto payload = hex("01 00 00 00");
  const auto buf = encode_packet(h, payload);
  // 1 + version 4 + (1+8) + (1+4) + token (1+6) + length 1 + pn 2
  CHECK(buf.size() == 29 + payload.size());
  CHECK(std::to_integer<int>(buf[0]) == 0xc0);
  const auto d = decode_ok(buf);
  CHECK(d.header == h);
  CHECK(d.header.version == version_1);
  CHECK(d.packet_number_offset == 27);
  CHECK(d.header_length == 29);
  CHECK(d.packet_length == buf.size());
  CHECK(std::ranges::equal(d.payload, payload));
  CHECK(d.payload.data() == buf.data() + 29);
}

TEST_CASE("header: exact bytes of a handshake header") {
  packet_header h;
  h.type = packet_type::handshake;
  h.dcid = cid("aa");
  h.scid = cid("");
  h.packet_number = 0xbeef;
  const auto buf = encode_packet(h, hex("01"));
  CHECK(buf == hex("d0 54524e01 01aa 00 03 beef 01"));
  const auto d = decode_ok(buf);
  CHECK(d.header == h);
  CHECK(d.header_length == 11);
}

TEST_CASE("header: retry packets carry a token and an integrity tag and nothing else") {
  packet_header h;
  h.type = packet_type::retry;
  h.dcid = cid("0102");
  h.scid = cid("030405");
  h.token = text("retry-token");
  for (std::size_t i = 0; i < h.retry_integrity_tag.size(); ++i)
    h.retry_integrity_tag[i] = static_cast<std::byte>(i + 1);
  const auto buf = encode_packet(h, {});
  CHECK(std::to_integer<int>(buf[0]) == 0xe0);
  const auto d = decode_ok(buf);
  CHECK(d.header == h);
  CHECK(d.packet_length == buf.size());
  CHECK(d.header_length == buf.size());
  CHECK(d.payload.empty());
  // A truncated tag is truncated.
  CHECK(decode_err(std::span(buf).first(buf.size() - 1)) == wire_errc::truncated);
}

TEST_CASE("header: short headers round-trip with every connection ID length and key phase") {
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{20}}) {
    for (bool phase : {false, true}) {
      CAPTURE(len);
      CAPTURE(phase);
      packet_header h;
      h.type = packet_type::one_rtt;
      std::vector<std::byte> id(len, std::byte{0x5a});
      REQUIRE(!connection_id::from_bytes(id, h.dcid));
      h.key_phase = phase;
      h.packet_number = 0xffff;
      const auto payload = hex("01");
      const auto buf = encode_packet(h, payload);
      CHECK(buf.size() == 1 + len + 2 + 1);
      CHECK(std::to_integer<int>(buf[0]) == (phase ? 0x44 : 0x40));
      const auto d = decode_ok(buf, len);
      CHECK(d.header == h);
      CHECK(d.packet_number_offset == 1 + len);
      CHECK(d.header_length == 1 + len + 2);
      CHECK(d.packet_length == buf.size());
      CHECK(std::ranges::equal(d.payload, payload));
    }
  }
}

TEST_CASE("header: the first byte of every tern packet is 64 or more") {
  for (auto type : {packet_type::initial, packet_type::handshake, packet_type::retry, packet_type::one_rtt}) {
    packet_header h = initial_header();
    h.type = type;
    h.key_phase = true;
    const auto buf = encode_packet(h, hex("01"));
    CHECK(std::to_integer<int>(buf[0]) >= 64);
  }
}

TEST_CASE("header: a first byte with the fixed bit clear is invalid_first_byte") {
  // 0-3 is STUN (RFC 7983); everything else without 0x40 is rejected too.
  for (int first = 0; first < 256; ++first) {
    if ((first & 0x40) != 0) continue;
    CAPTURE(first);
    auto buf = hex("00 54524e01 00 00 00 02 0000 01 0102030405060708");
    buf[0] = static_cast<std::byte>(first);
    CHECK(decode_err(buf) == wire_errc::invalid_first_byte);
    decoded_header d;
    CHECK(decode_header_layout(buf, 8, d) == wire_errc::invalid_first_byte);
  }
  CHECK(decode_err({}) == wire_errc::truncated);
}

TEST_CASE("header: an unknown version is unsupported_version") {
  auto buf = encode_packet(initial_header(), hex("01"));
  buf[4] = std::byte{0x02};
  CHECK(decode_err(buf) == wire_errc::unsupported_version);
  // Even with a type or lengths that would be invalid in version 1.
  auto odd = hex("f0 00000000 ff");
  CHECK(decode_err(odd) == wire_errc::unsupported_version);
}

TEST_CASE("header: long packet type 3 is a 0-RTT packet, laid out as a Handshake packet") {
  auto h = initial_header();
  h.type = packet_type::zero_rtt;
  h.token = {};
  const auto buf = encode_packet(h, hex("01"));
  CHECK((std::to_integer<unsigned>(buf[0]) & 0x30) == 0x30);
  decoded_header out;
  REQUIRE_FALSE(decode_header(buf, 8, out));
  CHECK(out.header == h);
  CHECK(length_field_offset(h) != 0);
}

TEST_CASE("header: connection IDs longer than 20 bytes are rejected") {
  auto dcid_long = hex("c0 54524e01 15");
  dcid_long.resize(dcid_long.size() + 21 + 10);
  CHECK(decode_err(dcid_long) == wire_errc::invalid_connection_id_length);
  auto scid_long = hex("c0 54524e01 00 15");
  scid_long.resize(scid_long.size() + 21 + 10);
  CHECK(decode_err(scid_long) == wire_errc::invalid_connection_id_length);
  const auto short_pkt = hex("40 0000 01");
  CHECK(decode_err(short_pkt, 21) == wire_errc::invalid_connection_id_length);
  connection_id out;
  std::vector<std::byte> too_long(21);
  CHECK(connection_id::from_bytes(too_long, out) == wire_errc::invalid_connection_id_length);
}

TEST_CASE("header: a length field too small for the packet number is invalid_packet_length") {
  for (int length : {0, 1}) {
    auto buf = hex("d0 54524e01 00 00 00 0000");
    buf[8] = static_cast<std::byte>(length);
    CHECK(decode_err(buf) == wire_errc::invalid_packet_length);
  }
  // Length 2: a packet number and no payload; the frame reader rejects that.
  const auto d = decode_ok(hex("d0 54524e01 00 00 02 0000"));
  CHECK(d.payload.empty());
}

TEST_CASE("header: every truncation of a header is truncated") {
  for (auto type : {packet_type::initial, packet_type::handshake, packet_type::retry, packet_type::one_rtt}) {
    packet_header h = initial_header();
    h.type = type;
    const auto buf = encode_packet(h, hex("0101"));
    const std::size_t header_end = type == packet_type::retry ? buf.size() : buf.size() - 2;
    for (std::size_t len = 0; len < header_end; ++len) {
      CAPTURE(type);
      CAPTURE(len);
      // Short headers end at the datagram's end, so a cut payload is fine.
      CHECK(decode_err(std::span(buf).first(len)) == wire_errc::truncated);
    }
  }
  // A long header whose length field runs past the datagram.
  auto buf = encode_packet(initial_header(), hex("010101"));
  buf.pop_back();
  CHECK(decode_err(buf) == wire_errc::truncated);
}

TEST_CASE("header: reserved bits are reserved_bits_set once decoded, ignored by the layout") {
  struct cse {
    packet_type type;
    int bit;
  };
  for (const cse c : {cse{packet_type::initial, 0x01}, cse{packet_type::handshake, 0x08},
                      cse{packet_type::retry, 0x02}, cse{packet_type::one_rtt, 0x20},
                      cse{packet_type::one_rtt, 0x10}, cse{packet_type::one_rtt, 0x01}}) {
    packet_header h = initial_header();
    h.type = c.type;
    auto buf = encode_packet(h, hex("01"));
    buf[0] |= static_cast<std::byte>(c.bit);
    CAPTURE(c.bit);
    CHECK(decode_err(buf) == wire_errc::reserved_bits_set);
    decoded_header d;
    CHECK(!decode_header_layout(buf, 8, d));
  }
}

TEST_CASE("header: the layout decode locates the packet number without reading it") {
  const auto h = initial_header();
  const auto buf = encode_packet(h, hex("01020304"));
  decoded_header layout;
  REQUIRE(!decode_header_layout(buf, 8, layout));
  CHECK(layout.header.packet_number == 0);
  const auto full = decode_ok(buf);
  CHECK(layout.packet_number_offset == full.packet_number_offset);
  CHECK(layout.header_length == full.header_length);
  CHECK(layout.packet_length == full.packet_length);
  CHECK(std::to_integer<int>(buf[layout.packet_number_offset]) == 0x12);
  CHECK(std::to_integer<int>(buf[layout.packet_number_offset + 1]) == 0x34);
}

TEST_CASE("header: coalesced long header packets are walked by packet_length") {
  packet_header a = initial_header();
  packet_header b = initial_header();
  b.type = packet_type::handshake;
  b.packet_number = 7;
  packet_header c;
  c.type = packet_type::one_rtt;
  c.dcid = cid("0102030405060708");
  c.packet_number = 9;
  std::vector<std::byte> datagram;
  for (const auto& [h, payload] : {std::pair{a, hex("0601")}, std::pair{b, hex("010101")},
                                   std::pair{c, hex("01")}}) {
    const auto pkt = encode_packet(h, payload);
    datagram.insert(datagram.end(), pkt.begin(), pkt.end());
  }
  std::span<const std::byte> rest = datagram;
  std::vector<packet_type> seen;
  while (!rest.empty()) {
    const auto d = decode_ok(rest);
    seen.push_back(d.header.type);
    rest = rest.subspan(d.packet_length);
  }
  CHECK(seen == std::vector{packet_type::initial, packet_type::handshake, packet_type::one_rtt});
}

TEST_CASE("header: a reserved length field width is patched once the payload is known") {
  const auto h = initial_header();
  std::vector<std::byte> buf(200);
  writer w{buf};
  REQUIRE(!encode_header(w, h, 0, 2));
  const std::size_t header_size = w.position();
  CHECK(header_size == encoded_header_size(h, 0, 2));
  const auto payload = hex("0600 0568656c6c6f 01");
  REQUIRE(!w.write_bytes(payload));
  REQUIRE(!set_length_field(buf, h, payload.size(), 2));
  buf.resize(w.position());
  const auto d = decode_ok(buf);
  CHECK(d.header == h);
  CHECK(d.packet_length == buf.size());
  CHECK(std::ranges::equal(d.payload, payload));
  CHECK(length_field_offset(h) == 26);
  packet_header s;
  CHECK(set_length_field(buf, s, 1, 2) == wire_errc::invalid_packet_length);
  CHECK(set_length_field(buf, h, 20000, 2) == wire_errc::varint_out_of_range);
}

TEST_CASE("header: encoding into a buffer too small is no_space and writes nothing") {
  for (auto type : {packet_type::initial, packet_type::handshake, packet_type::retry, packet_type::one_rtt}) {
    packet_header h = initial_header();
    h.type = type;
    const std::size_t need = encoded_header_size(h, 10);
    for (std::size_t size = 0; size < need; ++size) {
      std::vector<std::byte> buf(size);
      writer w{buf};
      CHECK(encode_header(w, h, 10) == wire_errc::no_space);
      CHECK(w.position() == 0);
    }
    std::vector<std::byte> buf(need);
    writer w{buf};
    CHECK(!encode_header(w, h, 10));
    CHECK(w.remaining() == 0);
  }
  packet_header h = initial_header();
  std::vector<std::byte> buf(100);
  writer w{buf};
  CHECK(encode_header(w, h, 100, 1) == wire_errc::varint_out_of_range);
  CHECK(w.position() == 0);
}
