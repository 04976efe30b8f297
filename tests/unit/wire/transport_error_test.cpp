#include <doctest/doctest.h>

#include "wire/frame_reader.hpp"
#include "wire/transport_error.hpp"
#include "wire_test_util.hpp"

#include <cstdint>
#include <utility>

using namespace tern::wire;
using tern::wire::test::hex;

namespace {

transport_error close_code_for(std::span<const std::byte> payload, packet_type type = packet_type::one_rtt) {
  const auto ec = for_each_frame(payload, type, [](const frame&) {});
  REQUIRE(ec);
  return to_transport_error(ec);
}

} // namespace

TEST_CASE("transport_error: malformed frames close with FRAME_ENCODING_ERROR") {
  CHECK(close_code_for(hex("0a 00 05 aa")) == transport_error::frame_encoding_error);     // truncated
  CHECK(close_code_for(hex("1f")) == transport_error::frame_encoding_error);             // unknown type
  CHECK(close_code_for(hex("02 05 00 00 06")) == transport_error::frame_encoding_error); // below zero
  CHECK(close_code_for(hex("02 05 00 4040 00")) == transport_error::frame_encoding_error);
  CHECK(close_code_for(hex("07 00")) == transport_error::frame_encoding_error);
  CHECK(close_code_for(hex("12 d000000000000001")) == transport_error::frame_encoding_error);
  CHECK(static_cast<std::uint64_t>(transport_error::frame_encoding_error) == 0x07);
}

TEST_CASE("transport_error: rule-breaking packets close with PROTOCOL_VIOLATION") {
  CHECK(to_transport_error(wire_errc::empty_payload) == transport_error::protocol_violation);
  CHECK(close_code_for(hex("0a 00 00"), packet_type::initial) == transport_error::protocol_violation);
  CHECK(close_code_for(hex("4001")) == transport_error::protocol_violation);
  CHECK(to_transport_error(wire_errc::reserved_bits_set) == transport_error::protocol_violation);
  CHECK(static_cast<std::uint64_t>(transport_error::protocol_violation) == 0x0a);
}

TEST_CASE("transport_error: encoder errors and foreign categories are INTERNAL_ERROR") {
  CHECK(to_transport_error(wire_errc::no_space) == transport_error::internal_error);
  CHECK(to_transport_error(wire_errc::invalid_ack_ranges) == transport_error::internal_error);
  CHECK(to_transport_error(std::make_error_code(std::errc::invalid_argument)) == transport_error::internal_error);
}

TEST_CASE("transport_error: codes are those of the docs/protocol.md 10.3 table (RFC 9000 20.1)") {
  const std::pair<transport_error, std::uint64_t> table[] = {
      {transport_error::no_error, 0x00},
      {transport_error::internal_error, 0x01},
      {transport_error::connection_refused, 0x02},
      {transport_error::flow_control_error, 0x03},
      {transport_error::stream_limit_error, 0x04},
      {transport_error::stream_state_error, 0x05},
      {transport_error::final_size_error, 0x06},
      {transport_error::frame_encoding_error, 0x07},
      {transport_error::transport_parameter_error, 0x08},
      {transport_error::connection_id_limit_error, 0x09},
      {transport_error::protocol_violation, 0x0a},
      {transport_error::invalid_token, 0x0b},
      {transport_error::application_error, 0x0c},
      {transport_error::crypto_buffer_exceeded, 0x0d},
      {transport_error::key_update_error, 0x0e},
      {transport_error::aead_limit_reached, 0x0f},
      {transport_error::no_viable_path, 0x10},
  };
  for (const auto& [e, code] : table) {
    CAPTURE(code);
    CHECK(static_cast<std::uint64_t>(e) == code);
  }
}
