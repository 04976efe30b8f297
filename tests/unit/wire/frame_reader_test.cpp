#include <doctest/doctest.h>

#include "wire/frame_reader.hpp"
#include "wire_test_util.hpp"

#include <vector>

using namespace tern::wire;
using tern::wire::test::hex;

namespace {

std::vector<frame> read_all(std::span<const std::byte> payload, packet_type type, std::error_code& ec) {
  std::vector<frame> out;
  ec = for_each_frame(payload, type, [&](const frame& f) { out.push_back(f); });
  return out;
}

} // namespace

TEST_CASE("frame_reader: walks a payload one frame at a time") {
  // PING, ACK [0,3], STREAM 4 "hi" with length, PADDING x2, DATAGRAM to the end
  const auto payload = hex("01 02 03 00 00 03 0a 04 02 6869 00 00 30 aabb");
  frame_reader frames{payload, packet_type::one_rtt};
  frame f;
  std::vector<std::size_t> kinds;
  std::vector<std::size_t> positions;
  while (!frames.done()) {
    positions.push_back(frames.position());
    REQUIRE(!frames.next(f));
    kinds.push_back(f.index());
  }
  CHECK(frames.count() == 5);
  CHECK(kinds == std::vector<std::size_t>{frame{ping_frame{}}.index(), frame{ack_frame{}}.index(),
                                          frame{stream_frame{}}.index(), frame{padding_frame{}}.index(),
                                          frame{datagram_frame{}}.index()});
  CHECK(positions == std::vector<std::size_t>{0, 1, 6, 11, 13});
  REQUIRE(std::holds_alternative<datagram_frame>(f));
  CHECK(std::get<datagram_frame>(f).data.size() == 2);
  // Past the end: an error, never UB.
  CHECK(frames.next(f) == wire_errc::truncated);
}

TEST_CASE("frame_reader: an empty payload is empty_payload") {
  frame_reader frames{{}, packet_type::one_rtt};
  CHECK_FALSE(frames.done());
  frame f;
  CHECK(frames.next(f) == wire_errc::empty_payload);
  CHECK_FALSE(frames.done());
  std::error_code ec;
  read_all({}, packet_type::initial, ec);
  CHECK(ec == wire_errc::empty_payload);
}

TEST_CASE("frame_reader: initial and handshake packets accept only handshake frames") {
  const std::vector<std::vector<std::byte>> allowed = {
      hex("00"), hex("01"), hex("02 00 00 00 00"), hex("03 00 00 00 00 00 00 00"), hex("06 00 01 aa"),
      hex("1c 0a 00 00")};
  const std::vector<std::vector<std::byte>> refused = {
      hex("04 00 00 00"), hex("05 00 00"), hex("07 01 aa"), hex("0a 00 01 aa"), hex("10 00"),
      hex("11 00 00"), hex("12 00"), hex("14 00"), hex("18 00 00 01 aa 00000000000000000000000000000000"),
      hex("19 00"), hex("1a 0000000000000000"), hex("1b 0000000000000000"), hex("1d 00 00"), hex("1e"),
      hex("31 01 aa"), hex("34 00")};
  for (auto type : {packet_type::initial, packet_type::handshake}) {
    for (const auto& p : allowed) {
      std::error_code ec;
      read_all(p, type, ec);
      CAPTURE(std::to_integer<int>(p[0]));
      CHECK(!ec);
      read_all(p, packet_type::one_rtt, ec);
      CHECK(!ec);
    }
    for (const auto& p : refused) {
      std::error_code ec;
      read_all(p, type, ec);
      CAPTURE(std::to_integer<int>(p[0]));
      CHECK(ec == wire_errc::frame_not_allowed);
      read_all(p, packet_type::one_rtt, ec);
      CHECK(!ec);
    }
  }
  std::error_code ec;
  read_all(hex("01"), packet_type::retry, ec);
  CHECK(ec == wire_errc::frame_not_allowed);
}

TEST_CASE("frame_reader: frames before the bad one are delivered, then the error sticks") {
  const auto payload = hex("01 01 1f 01");
  frame_reader frames{payload, packet_type::one_rtt};
  frame f;
  REQUIRE(!frames.next(f));
  REQUIRE(!frames.next(f));
  CHECK(frames.next(f) == wire_errc::unknown_frame_type);
  CHECK(frames.position() == 2);
  CHECK(frames.next(f) == wire_errc::unknown_frame_type);
  CHECK_FALSE(frames.done());
  CHECK(frames.count() == 2);
}

TEST_CASE("frame_reader: a non-minimal type is reported as such, not as frame_not_allowed") {
  std::error_code ec;
  read_all(hex("4008 00"), packet_type::initial, ec);
  CHECK(ec == wire_errc::non_minimal_frame_type);
  read_all(hex("1f"), packet_type::initial, ec);
  CHECK(ec == wire_errc::unknown_frame_type);
}

TEST_CASE("frame_reader: a malformed frame's own error comes through") {
  std::error_code ec;
  read_all(hex("01 02 05 00 00 06"), packet_type::one_rtt, ec);
  CHECK(ec == wire_errc::ack_range_below_zero);
  read_all(hex("01 0a 00 05 aa"), packet_type::one_rtt, ec);
  CHECK(ec == wire_errc::truncated);
}

TEST_CASE("frame_reader: for_each_frame stops early when the visitor says so") {
  const auto payload = hex("01 01 01 1f");
  int seen = 0;
  const auto ec = for_each_frame(payload, packet_type::one_rtt, [&](const frame&) { return ++seen < 2; });
  CHECK(!ec);
  CHECK(seen == 2);
}
