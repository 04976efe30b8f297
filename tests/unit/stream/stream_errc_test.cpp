#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "stream/stream_errc.hpp"

using tern::stream::stream_errc;

TEST_CASE("stream_errc: category tern.stream, RFC 9000 codes for transport errors") {
  const std::error_code ec = stream_errc::final_size_error;
  CHECK(std::string{ec.category().name()} == "tern.stream");
  CHECK(ec.value() == 0x06);
  CHECK(!ec.message().empty());
  CHECK(tern::stream::transport_error_code(stream_errc::flow_control_error) == 0x03);
  CHECK(tern::stream::transport_error_code(stream_errc::stream_limit_error) == 0x04);
  CHECK(tern::stream::transport_error_code(stream_errc::stream_state_error) == 0x05);
  CHECK(tern::stream::transport_error_code(stream_errc::final_size_error) == 0x06);
  CHECK(tern::stream::transport_error_code(stream_errc::frame_encoding_error) == 0x07);
  CHECK(tern::stream::transport_error_code(stream_errc::protocol_violation) == 0x0a);
  CHECK(tern::stream::is_transport_error(stream_errc::stream_state_error));
  CHECK_FALSE(tern::stream::is_transport_error(stream_errc::reset_by_peer));
  CHECK_FALSE(tern::stream::is_transport_error(stream_errc::buffer_full));
  CHECK(std::error_code{stream_errc::buffer_full} != std::error_code{stream_errc::message_too_large});
}
