#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "wire/errc.hpp"
#include "wire/frames.hpp"

#include <array>
#include <vector>

using namespace tern::wire;

namespace {

std::vector<std::byte> encoded(const frame& f) {
  std::vector<std::byte> out(2000);
  writer w(out);
  REQUIRE_FALSE(encode(w, f));
  out.resize(w.position());
  return out;
}

std::error_code decode_bytes(std::span<const std::byte> bytes, frame& out) {
  reader r(bytes);
  auto ec = decode_frame(r, out);
  if (!ec && r.remaining() != 0) return wire_errc::truncated;
  return ec;
}

} // namespace

TEST_CASE("repair frames: REPAIR and REPAIR_REPORT round-trip through the frame variant") {
  std::array<std::byte, 40> symbol{};
  symbol[0] = std::byte{7};
  symbol[39] = std::byte{9};
  const repair_frame repair{123456, 0x8000'0000'0000'0005, 4, 3, symbol};
  const auto bytes = encoded(repair);
  CHECK(bytes.size() == encoded_size(repair));
  CHECK(std::to_integer<int>(bytes[0]) == frame_type::repair);
  frame back;
  REQUIRE_FALSE(decode_bytes(bytes, back));
  CHECK(std::get<repair_frame>(back) == repair);
  CHECK(std::get<repair_frame>(back).source_count() == 3);
  CHECK(type_of(back) == frame_type::repair);

  const repair_report_frame report{1000, 20, 7, 15};
  const auto rb = encoded(report);
  CHECK(rb.size() == encoded_size(report));
  REQUIRE_FALSE(decode_bytes(rb, back));
  CHECK(std::get<repair_report_frame>(back) == report);
}

TEST_CASE("repair frames: a REPAIR frame outside the bounds is refused both ways") {
  std::array<std::byte, 8> symbol{};
  const repair_frame good{10, 1, 2, 1, symbol};
  auto bad_with = [&](auto change) {
    repair_frame f = good;
    change(f);
    return f;
  };
  const repair_frame bad[] = {
      bad_with([](repair_frame& f) { f.source_mask = 2; }),                    // bit 0 clear
      bad_with([](repair_frame& f) { f.source_mask = 0xffff'ffff'ffff'ffff; }), // 64 sources
      bad_with([](repair_frame& f) { f.repair_count = 0; }),
      bad_with([](repair_frame& f) { f.repair_count = 17; }),
      bad_with([](repair_frame& f) { f.repair_index = 2; }), // not below the count
      bad_with([](repair_frame& f) { f.symbol = {}; }),
  };
  for (const auto& f : bad) {
    std::vector<std::byte> out(64);
    writer w(out);
    CHECK(encode(w, f) == wire_errc::invalid_repair_block);
    CHECK(w.position() == 0);
    // The same fields on the wire, written by hand: the decoder refuses them.
    writer raw(out);
    REQUIRE_FALSE(raw.write_u8(frame_type::repair));
    REQUIRE_FALSE(raw.write_varint(f.first_packet));
    REQUIRE_FALSE(raw.write_u64(f.source_mask));
    REQUIRE_FALSE(raw.write_varint(f.repair_count));
    REQUIRE_FALSE(raw.write_varint(f.repair_index));
    REQUIRE_FALSE(raw.write_varint(f.symbol.size()));
    REQUIRE_FALSE(raw.write_bytes(f.symbol));
    frame back;
    CHECK(decode_bytes(std::span(out).first(raw.position()), back) == wire_errc::invalid_repair_block);
  }
  // An oversized symbol length is refused before reading it.
  std::vector<std::byte> out(64);
  writer raw(out);
  REQUIRE_FALSE(raw.write_u8(frame_type::repair));
  REQUIRE_FALSE(raw.write_varint(1));
  REQUIRE_FALSE(raw.write_u64(1));
  REQUIRE_FALSE(raw.write_varint(1));
  REQUIRE_FALSE(raw.write_varint(0));
  REQUIRE_FALSE(raw.write_varint(100'000));
  frame back;
  CHECK(decode_bytes(std::span(out).first(raw.position()), back) == wire_errc::invalid_repair_block);
  // Truncated anywhere: truncated.
  const auto bytes = encoded(good);
  for (std::size_t n = 1; n < bytes.size(); ++n) CHECK(decode_bytes(std::span(bytes).first(n), back) == wire_errc::truncated);
}

TEST_CASE("repair frames: a REPAIR_REPORT whose counts contradict each other is refused") {
  frame back;
  std::vector<std::byte> out(64);
  auto raw_report = [&](std::uint64_t seen, std::uint64_t missing, std::uint64_t events) {
    writer w(out);
    REQUIRE_FALSE(w.write_u8(frame_type::repair_report));
    REQUIRE_FALSE(w.write_varint(seen));
    REQUIRE_FALSE(w.write_varint(missing));
    REQUIRE_FALSE(w.write_varint(events));
    REQUIRE_FALSE(w.write_varint(0));
    return decode_bytes(std::span(out).first(w.position()), back);
  };
  CHECK_FALSE(raw_report(10, 3, 2));
  CHECK(raw_report(10, 11, 1) == wire_errc::invalid_repair_block);
  CHECK(raw_report(10, 3, 4) == wire_errc::invalid_repair_block);
  writer w(out);
  CHECK(encode(w, repair_report_frame{1, 2, 0, 0}) == wire_errc::invalid_repair_block);
}

TEST_CASE("repair frames: only 1-RTT packets carry them") {
  CHECK(is_known_frame_type(frame_type::repair));
  CHECK(is_known_frame_type(frame_type::repair_report));
  CHECK_FALSE(is_known_frame_type(0x3a));
  CHECK(is_frame_allowed(frame_type::repair, packet_type::one_rtt));
  CHECK_FALSE(is_frame_allowed(frame_type::repair, packet_type::handshake));
  CHECK_FALSE(is_frame_allowed(frame_type::repair_report, packet_type::initial));
}
