#include <doctest/doctest.h>

#include "wire/frames.hpp"
#include "wire/micros.hpp"
#include "wire_test_util.hpp"

#include <chrono>
#include <vector>

using namespace tern::wire;
using namespace std::chrono_literals;
using tern::wire::test::check_round_trip;
using tern::wire::test::decode_error;
using tern::wire::test::encode_to_vector;
using tern::wire::test::hex;
using tern::wire::test::text;

namespace {

const std::uint64_t edges[] = {0, 63, 64, 16383, 16384, (std::uint64_t{1} << 30) - 1, std::uint64_t{1} << 30,
                               varint_max};

connection_id cid(std::string_view hexdigits) {
  connection_id out;
  REQUIRE(!connection_id::from_bytes(hex(hexdigits), out));
  return out;
}

// One instance of every frame type, with every flag combination that matters.
std::vector<frame> sample_frames() {
  static const auto payload = hex("000102030405060708090a0b0c0d0e0f");
  std::vector<frame> out;
  out.push_back(padding_frame{1});
  out.push_back(padding_frame{37});
  out.push_back(ping_frame{});
  ack_frame ack;
  ack.ranges.push_back({10, 20});
  ack.ranges.push_back({2, 5});
  ack.ack_delay = 250us;
  out.push_back(ack);
  ack.ecn = ecn_counts{5, 6, 7};
  out.push_back(ack);
  out.push_back(reset_stream_frame{4, 0x100, 123456});
  out.push_back(stop_sending_frame{8, 7});
  out.push_back(crypto_frame{0, payload});
  out.push_back(crypto_frame{70000, text("client hello")});
  out.push_back(new_token_frame{text("a token")});
  for (bool fin : {false, true})
    for (bool len : {false, true})
      for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{1234}})
        out.push_back(stream_frame{3, off, payload, fin, len});
  out.push_back(stream_frame{0, 0, {}, true, true});
  out.push_back(max_data_frame{1 << 20});
  out.push_back(max_stream_data_frame{5, 65536});
  out.push_back(max_streams_frame{true, 100});
  out.push_back(max_streams_frame{false, max_stream_count});
  out.push_back(data_blocked_frame{4096});
  out.push_back(stream_data_blocked_frame{9, 777});
  out.push_back(streams_blocked_frame{true, 3});
  out.push_back(streams_blocked_frame{false, max_stream_count});
  new_connection_id_frame ncid;
  ncid.sequence = 3;
  ncid.retire_prior_to = 2;
  ncid.cid = cid("0102030405060708");
  for (std::size_t i = 0; i < ncid.stateless_reset_token.size(); ++i)
    ncid.stateless_reset_token[i] = static_cast<std::byte>(0xf0 + i);
  out.push_back(ncid);
  out.push_back(retire_connection_id_frame{2});
  path_challenge_frame challenge;
  challenge.data = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                    std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
  out.push_back(challenge);
  out.push_back(path_response_frame{challenge.data});
  out.push_back(connection_close_frame{false, 0x0a, 0x08, text("bad stream")});
  out.push_back(connection_close_frame{true, 42, 0, text("bye")});
  out.push_back(connection_close_frame{true, 0, 0, {}});
  out.push_back(handshake_done_frame{});
  for (bool len : {false, true}) {
    out.push_back(datagram_frame{payload, len, std::nullopt});
    out.push_back(datagram_frame{payload, len, message_fields{7, 5000, 1200, 33ms}});
  }
  out.push_back(datagram_frame{{}, true, message_fields{0, 0, 0, 0us}});
  out.push_back(message_abandon_frame{12});
  // FLOW_MESSAGE and FLOW_ABANDON: a flow other than 0, or unordered, or a cause.
  out.push_back(datagram_frame{payload, true, message_fields{7, 5000, 1200, 33ms, 3, false}});
  out.push_back(datagram_frame{payload, true, message_fields{7, 5000, 1200, 33ms, 0, true}});
  out.push_back(datagram_frame{payload, true, message_fields{9, 5000, 0, 1ms, 15, true}});
  out.push_back(message_abandon_frame{12, 2, 0});
  out.push_back(message_abandon_frame{12, 0, 1});
  return out;
}

template <class F>
std::error_code encode_error(const F& f, std::size_t space = 256) {
  std::vector<std::byte> buf(space);
  writer w{buf};
  const auto ec = encode(w, f);
  if (ec) CHECK(w.position() == 0);
  return ec;
}

} // namespace

TEST_CASE("frames: every frame type round-trips") {
  for (const frame& f : sample_frames()) {
    CAPTURE(static_cast<int>(type_of(f)));
    std::visit([](const auto& x) { check_round_trip(x); }, f);
  }
}

TEST_CASE("frames: integer fields round-trip at every varint boundary") {
  for (std::uint64_t v : edges) {
    CAPTURE(v);
    check_round_trip(reset_stream_frame{v, v, v});
    check_round_trip(stop_sending_frame{v, v});
    check_round_trip(max_data_frame{v});
    check_round_trip(max_stream_data_frame{v, v});
    check_round_trip(data_blocked_frame{v});
    check_round_trip(stream_data_blocked_frame{v, v});
    check_round_trip(retire_connection_id_frame{v});
    check_round_trip(message_abandon_frame{v});
    check_round_trip(connection_close_frame{false, v, v, {}});
    check_round_trip(stream_frame{v, v, {}, false, true});
    check_round_trip(crypto_frame{v, {}});
    new_connection_id_frame n;
    n.sequence = v;
    n.retire_prior_to = v;
    n.cid = cid("01");
    check_round_trip(n);
    check_round_trip(datagram_frame{{}, true, message_fields{v, v, v, 0us}});
    if (v <= max_stream_count) {
      check_round_trip(max_streams_frame{true, v});
      check_round_trip(streams_blocked_frame{false, v});
    }
  }
}

TEST_CASE("frames: type bytes of STREAM and DATAGRAM carry their flags") {
  const auto data = text("x");
  CHECK(type_of(stream_frame{1, 0, data, false, false}) == 0x08);
  CHECK(type_of(stream_frame{1, 0, data, true, false}) == 0x09);
  CHECK(type_of(stream_frame{1, 0, data, false, true}) == 0x0a);
  CHECK(type_of(stream_frame{1, 5, data, false, false}) == 0x0c);
  CHECK(type_of(stream_frame{1, 5, data, true, true}) == 0x0f);
  CHECK(type_of(datagram_frame{data, false, std::nullopt}) == 0x30);
  CHECK(type_of(datagram_frame{data, true, std::nullopt}) == 0x31);
  CHECK(type_of(datagram_frame{data, false, message_fields{}}) == 0x32);
  CHECK(type_of(datagram_frame{data, true, message_fields{}}) == 0x33);
  CHECK(encode_to_vector(stream_frame{4, 0, text("hi"), true, true}) == hex("0b 04 02 6869"));
  CHECK(encode_to_vector(stream_frame{4, 64, text("hi"), false, false}) == hex("0c 04 4040 6869"));
  CHECK(encode_to_vector(datagram_frame{text("hi"), true, message_fields{1, 10, 2, 3us}}) ==
        hex("33 01 0a 02 03 02 6869"));
}

TEST_CASE("frames: an explicit OFF bit with offset 0 decodes to offset 0") {
  const auto buf = hex("0e 04 00 02 6869");
  reader r{buf};
  stream_frame f;
  REQUIRE(!decode(r, f));
  CHECK(f.offset == 0);
  CHECK(f.has_length);
  CHECK(std::ranges::equal(f.data, text("hi")));
}

TEST_CASE("frames: frames without a length take the rest of the payload") {
  const auto buf = hex("08 01 aabbcc");
  reader r{buf};
  stream_frame s;
  REQUIRE(!decode(r, s));
  CHECK(s.data.size() == 3);
  CHECK(s.data.data() == buf.data() + 2);
  CHECK(r.empty());
  const auto dbuf = hex("30 aabb");
  reader r2{dbuf};
  datagram_frame d;
  REQUIRE(!decode(r2, d));
  CHECK(d.data.size() == 2);
  CHECK(r2.empty());
}

TEST_CASE("frames: decoded data refers to the packet buffer without copying") {
  const auto buf = encode_to_vector(crypto_frame{10, text("hello")});
  reader r{buf};
  crypto_frame f;
  REQUIRE(!decode(r, f));
  CHECK(f.data.data() == buf.data() + 3);
}

TEST_CASE("frames: PADDING runs fold into one frame") {
  const auto buf = hex("00 00 00 00 01");
  reader r{buf};
  frame f;
  REQUIRE(!decode_frame(r, f));
  REQUIRE(std::holds_alternative<padding_frame>(f));
  CHECK(std::get<padding_frame>(f).length == 4);
  REQUIRE(!decode_frame(r, f));
  CHECK(std::holds_alternative<ping_frame>(f));
  CHECK(r.empty());
  CHECK(encoded_size(padding_frame{0}) == 0);
  CHECK(encode_to_vector(padding_frame{3}) == hex("000000"));
}

TEST_CASE("frames: stream and crypto data ending beyond 2^62-1 is stream_offset_out_of_range") {
  // offset 2^62-1 with one byte of data
  CHECK(decode_error(hex("0e 00 ffffffffffffffff 01 aa")) == wire_errc::stream_offset_out_of_range);
  CHECK(!decode_error(hex("0e 00 ffffffffffffffff 00")));
  CHECK(decode_error(hex("0c 00 ffffffffffffffff aa")) == wire_errc::stream_offset_out_of_range);
  CHECK(decode_error(hex("06 ffffffffffffffff 01 aa")) == wire_errc::stream_offset_out_of_range);
  CHECK(encode_error(stream_frame{0, varint_max, text("a"), false, true}) == wire_errc::stream_offset_out_of_range);
  CHECK(encode_error(stream_frame{0, varint_max + 1, {}, false, true}) == wire_errc::stream_offset_out_of_range);
  CHECK(encode_error(crypto_frame{varint_max, text("a")}) == wire_errc::stream_offset_out_of_range);
}

TEST_CASE("frames: stream limits above 2^60 are stream_limit_out_of_range") {
  CHECK(decode_error(hex("12 d000000000000001")) == wire_errc::stream_limit_out_of_range);
  CHECK(decode_error(hex("13 d000000000000001")) == wire_errc::stream_limit_out_of_range);
  CHECK(decode_error(hex("16 d000000000000001")) == wire_errc::stream_limit_out_of_range);
  CHECK(decode_error(hex("17 d000000000000001")) == wire_errc::stream_limit_out_of_range);
  CHECK(!decode_error(hex("12 d000000000000000")));
  CHECK(encode_error(max_streams_frame{true, max_stream_count + 1}) == wire_errc::stream_limit_out_of_range);
  CHECK(encode_error(streams_blocked_frame{true, max_stream_count + 1}) ==
        wire_errc::stream_limit_out_of_range);
}

TEST_CASE("frames: NEW_CONNECTION_ID checks its length and retire_prior_to") {
  const auto token = std::string(16, 't');
  auto with_len = [&](int len) {
    auto buf = hex("18 05 01");
    buf.push_back(static_cast<std::byte>(len));
    for (int i = 0; i < len; ++i) buf.push_back(std::byte{0x11});
    const auto t = text(token);
    buf.insert(buf.end(), t.begin(), t.end());
    return buf;
  };
  CHECK(decode_error(with_len(0)) == wire_errc::invalid_connection_id_length);
  CHECK(decode_error(with_len(21)) == wire_errc::invalid_connection_id_length);
  CHECK(!decode_error(with_len(1)));
  CHECK(!decode_error(with_len(20)));
  auto bad_retire = with_len(4);
  bad_retire[2] = std::byte{0x06}; // retire_prior_to 6 > sequence 5
  CHECK(decode_error(bad_retire) == wire_errc::invalid_retire_prior_to);
  new_connection_id_frame f;
  f.sequence = 1;
  CHECK(encode_error(f) == wire_errc::invalid_connection_id_length);
  f.cid = cid("01");
  f.retire_prior_to = 2;
  CHECK(encode_error(f) == wire_errc::invalid_retire_prior_to);
}

TEST_CASE("frames: an empty NEW_TOKEN is empty_token") {
  CHECK(decode_error(hex("07 00")) == wire_errc::empty_token);
  CHECK(encode_error(new_token_frame{}) == wire_errc::empty_token);
}

TEST_CASE("frames: a message fragment beyond its message is message_fragment_out_of_range") {
  // message_length 10, offset 8, 3 bytes
  CHECK(decode_error(hex("33 00 0a 08 00 03 aabbcc")) == wire_errc::message_fragment_out_of_range);
  CHECK(!decode_error(hex("33 00 0a 07 00 03 aabbcc")));
  CHECK(decode_error(hex("33 00 0a 0b 00 00")) == wire_errc::message_fragment_out_of_range);
  CHECK(encode_error(datagram_frame{text("abc"), true, message_fields{0, 10, 8, 0us}}) ==
        wire_errc::message_fragment_out_of_range);
}

TEST_CASE("frames: message ttl is whole microseconds and saturates on decode") {
  const auto buf = hex("33 00 00 00 ffffffffffffffff 00");
  reader r{buf};
  datagram_frame f;
  REQUIRE(!decode(r, f));
  REQUIRE(f.message);
  CHECK(f.message->ttl == micros_to_duration(max_duration_micros));
}

TEST_CASE("frames: FLOW_MESSAGE and FLOW_ABANDON layouts") {
  // 0x35 flow flags id length offset ttl len data
  const auto d = hex("aabb");
  CHECK(encode_to_vector(datagram_frame{d, true, message_fields{1, 4, 2, 5us, 3, true}}) ==
        hex("35 03 01 01 04 02 05 02 aabb"));
  // Without the LEN bit asked for, a FLOW_MESSAGE still carries its length.
  const datagram_frame no_len{d, false, message_fields{1, 4, 2, 5us, 3, false}};
  CHECK(encode_to_vector(no_len) == hex("35 03 00 01 04 02 05 02 aabb"));
  CHECK(encoded_size(no_len) == 10);
  CHECK(datagram_data_fit(no_len.message, 10, false) == 2u);
  // 0x36 flow id cause; flow 0 with cause 0 stays MESSAGE_ABANDON.
  CHECK(encode_to_vector(message_abandon_frame{7, 2, 1}) == hex("36 02 07 01"));
  CHECK(encode_to_vector(message_abandon_frame{7, 0, 0}) == hex("34 07"));
  CHECK(type_of(frame{message_abandon_frame{7, 1, 0}}) == 0x36);
}

TEST_CASE("frames: a FLOW_MESSAGE with undefined flag bits is invalid_message_flags") {
  CHECK(decode_error(hex("35 03 02 01 04 02 05 02 aabb")) == wire_errc::invalid_message_flags);
  CHECK(decode_error(hex("35 03 4040 01 04 02 05 02 aabb")) == wire_errc::invalid_message_flags);
  CHECK(decode_error(hex("35 03 01 01 04 03 05 02 aabb")) == wire_errc::message_fragment_out_of_range);
  CHECK(decode_error(hex("35 03 01 01 04")) == wire_errc::truncated);
  CHECK(decode_error(hex("36 02 07")) == wire_errc::truncated);
}

TEST_CASE("frames: unknown types are unknown_frame_type, long encodings non_minimal_frame_type") {
  for (int type : {0x1f, 0x20, 0x2f, 0x37, 0x3f}) {
    CAPTURE(type);
    CHECK(decode_error(tern::wire::test::bytes({type, 0, 0, 0})) == wire_errc::unknown_frame_type);
  }
  CHECK(decode_error(hex("4001")) == wire_errc::non_minimal_frame_type);
  CHECK(decode_error(hex("4006 00 00")) == wire_errc::non_minimal_frame_type);
  CHECK(decode_error(hex("80000001")) == wire_errc::non_minimal_frame_type);
  CHECK(decode_error(hex("4040")) == wire_errc::unknown_frame_type);
  CHECK(decode_error(hex("c000000000001234")) == wire_errc::unknown_frame_type);
  CHECK(decode_error(hex("40")) == wire_errc::truncated);
  CHECK(decode_error({}) == wire_errc::truncated);
}

TEST_CASE("frames: a typed decode of another frame's bytes is wrong_frame_type") {
  const auto ping = hex("01");
  reader r{ping};
  stream_frame s;
  CHECK(decode(r, s) == wire_errc::wrong_frame_type);
  CHECK(r.position() == 0);
  ack_frame a;
  CHECK(decode(r, a) == wire_errc::wrong_frame_type);
  max_streams_frame m;
  CHECK(decode(r, m) == wire_errc::wrong_frame_type);
  ping_frame p;
  CHECK(!decode(r, p));
}

TEST_CASE("frames: every truncation of a length-delimited frame is truncated") {
  for (const frame& f : sample_frames()) {
    if (std::holds_alternative<padding_frame>(f)) continue;
    if (const auto* s = std::get_if<stream_frame>(&f); s && !s->has_length) continue;
    if (const auto* d = std::get_if<datagram_frame>(&f); d && !d->has_length) continue;
    std::vector<std::byte> buf(encoded_size(f));
    writer w{buf};
    REQUIRE(!encode(w, f));
    for (std::size_t len = 0; len < buf.size(); ++len) {
      CAPTURE(static_cast<int>(type_of(f)));
      CAPTURE(len);
      CHECK(decode_error(std::span(buf).first(len)) == wire_errc::truncated);
    }
  }
}

TEST_CASE("frames: encoding into too little space is no_space and writes nothing") {
  for (const frame& f : sample_frames()) {
    const std::size_t size = encoded_size(f);
    for (std::size_t space = 0; space < size; ++space) {
      CAPTURE(static_cast<int>(type_of(f)));
      CAPTURE(space);
      std::vector<std::byte> buf(space);
      writer w{buf};
      CHECK(encode(w, f) == wire_errc::no_space);
      CHECK(w.position() == 0);
    }
  }
}

TEST_CASE("frames: stream_data_fit gives the largest frame that fits") {
  const auto data = std::vector<std::byte>(20000, std::byte{0x61});
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{1} << 31}) {
    for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{70000}}) {
      for (bool with_length : {true, false}) {
        for (std::size_t space = 0; space < 17000; space += (space < 100 ? 1 : 37)) {
          CAPTURE(id);
          CAPTURE(offset);
          CAPTURE(with_length);
          CAPTURE(space);
          const auto fit = stream_data_fit(id, offset, space, with_length);
          stream_frame f{id, offset, {}, false, with_length};
          if (!fit) {
            CHECK(encoded_size(f) > space);
            continue;
          }
          f.data = std::span(data).first(*fit);
          CHECK(encoded_size(f) <= space);
          if (with_length) {
            f.data = std::span(data).first(*fit + 1);
            CHECK(encoded_size(f) > space);
          } else {
            CHECK(encoded_size(f) == space);
          }
        }
      }
    }
  }
  // Capped at the largest stream offset.
  CHECK(stream_data_fit(0, varint_max - 3, 1200) == std::optional<std::size_t>{3});
  CHECK(!stream_data_fit(varint_max + 1, 0, 1200));
}

TEST_CASE("frames: crypto_data_fit and datagram_data_fit give the largest frame that fits") {
  const auto data = std::vector<std::byte>(2000, std::byte{0x61});
  const std::optional<message_fields> msg = message_fields{3, 100000, 70000, 20ms};
  for (std::size_t space = 0; space < 1500; ++space) {
    CAPTURE(space);
    if (const auto fit = crypto_data_fit(1000, space)) {
      CHECK(encoded_size(crypto_frame{1000, std::span(data).first(*fit)}) <= space);
      CHECK(encoded_size(crypto_frame{1000, std::span(data).first(*fit + 1)}) > space);
    } else {
      CHECK(encoded_size(crypto_frame{1000, {}}) > space);
    }
    for (const auto& m : {std::optional<message_fields>{}, msg}) {
      if (const auto fit = datagram_data_fit(m, space)) {
        CHECK(encoded_size(datagram_frame{std::span(data).first(*fit), true, m}) <= space);
        CHECK(encoded_size(datagram_frame{std::span(data).first(*fit + 1), true, m}) > space);
      } else {
        CHECK(encoded_size(datagram_frame{{}, true, m}) > space);
      }
      if (const auto fit = datagram_data_fit(m, space, false))
        CHECK(encoded_size(datagram_frame{std::span(data).first(*fit), false, m}) == space);
    }
  }
}
