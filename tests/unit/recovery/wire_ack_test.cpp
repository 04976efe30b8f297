#include <doctest/doctest.h>

#include "recovery/wire_ack.hpp"

#include <array>

using namespace std::chrono_literals;
using namespace tern::recovery;

TEST_CASE("wire_ack: an ack_info survives conversion to a wire frame, encoding, decoding and back") {
  ack_info ack;
  ack.push_back({900, 1000});
  ack.push_back({500, 800});
  ack.push_back({7, 7});
  ack.ack_delay = 3ms;
  ack.has_ecn = true;
  ack.ecn = {10, 0, 2};
  std::array<std::byte, 256> buf{};
  tern::wire::writer w{buf};
  REQUIRE_FALSE(tern::wire::encode(w, to_wire(ack)));
  tern::wire::reader r{w.written()};
  tern::wire::ack_frame decoded;
  REQUIRE_FALSE(tern::wire::decode(r, decoded));
  const ack_info back = from_wire(decoded);
  REQUIRE(back.size() == 3);
  CHECK(back.ranges()[0] == ack_range{900, 1000});
  CHECK(back.ranges()[1] == ack_range{500, 800});
  CHECK(back.ranges()[2] == ack_range{7, 7});
  CHECK(back.ack_delay == 3ms);
  CHECK(back.has_ecn);
  CHECK(back.ecn.ce == 2);
  CHECK(back.valid());
}

TEST_CASE("wire_ack: without ECN counts the frame is a plain ACK") {
  ack_info ack;
  ack.push_back({0, 0});
  const auto f = to_wire(ack);
  CHECK_FALSE(f.ecn.has_value());
  CHECK(f.largest_acknowledged() == 0);
  CHECK_FALSE(from_wire(f).has_ecn);
}
