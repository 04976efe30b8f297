#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "stream/stream_id.hpp"

using namespace tern::stream;

TEST_CASE("stream_id: the two low bits are initiator and direction, RFC 9000 section 2.1") {
  // 0x0 client bidi, 0x1 server bidi, 0x2 client uni, 0x3 server uni.
  CHECK(initiator(0) == role::client);
  CHECK(dir(0) == direction::bidi);
  CHECK(initiator(1) == role::server);
  CHECK(dir(1) == direction::bidi);
  CHECK(initiator(2) == role::client);
  CHECK(dir(2) == direction::uni);
  CHECK(initiator(3) == role::server);
  CHECK(dir(3) == direction::uni);
  CHECK(index(8) == 2);
  CHECK(make_stream_id(role::server, direction::uni, 5) == 23);
  for (stream_id id = 0; id < 64; ++id) CHECK(make_stream_id(initiator(id), dir(id), index(id)) == id);
}

TEST_CASE("stream_id: which halves exist for each endpoint") {
  // Client uni stream (2): the client sends, the server receives.
  CHECK(can_send(2, role::client));
  CHECK_FALSE(can_receive(2, role::client));
  CHECK_FALSE(can_send(2, role::server));
  CHECK(can_receive(2, role::server));
  // Bidi streams have both halves on both sides.
  CHECK(can_send(1, role::client));
  CHECK(can_receive(1, role::client));
  CHECK(is_local(1, role::server));
  CHECK_FALSE(is_local(1, role::client));
}
