#include <doctest/doctest.h>

#include "support/seed.hpp"
#include "wire/ack_frame.hpp"
#include "wire/frames.hpp"
#include "wire/micros.hpp"
#include "wire_test_util.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace tern::wire;
using namespace std::chrono_literals;
using tern::wire::test::check_round_trip;
using tern::wire::test::decode_error;
using tern::wire::test::encode_to_vector;
using tern::wire::test::hex;

namespace {

ack_frame make_ack(std::initializer_list<ack_range> ranges, tern::duration delay = 0us) {
  ack_frame f;
  for (const auto& r : ranges) REQUIRE(f.ranges.push_back(r));
  f.ack_delay = delay;
  return f;
}

// n ranges of 2 packets each with 1-packet holes, highest at `top`.
ack_frame ack_with_ranges(std::size_t n, std::uint64_t top) {
  ack_frame f;
  std::uint64_t largest = top;
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(f.ranges.push_back({largest - 1, largest}));
    largest -= 3;
  }
  return f;
}

std::error_code encode_error(const ack_frame& f, std::size_t space = 1500) {
  std::vector<std::byte> buf(space);
  writer w{buf};
  const auto ec = encode(w, f);
  if (ec) CHECK(w.position() == 0);
  return ec;
}

} // namespace

TEST_CASE("ack_frame: one range round-trips with exact bytes") {
  const auto f = make_ack({{90, 100}}, 25ms);
  // type, largest 100, delay 25000us, count 0, first range 10
  CHECK(encode_to_vector(f) == hex("02 4064 8000 61a8 00 0a"));
  check_round_trip(f);
  CHECK(f.largest_acknowledged() == 100);
}

TEST_CASE("ack_frame: gaps and lengths convert to absolute ranges") {
  // [95,100], [90,92], [0,0]: gaps 95-92-2 = 1 and 90-0-2 = 88.
  const auto f = make_ack({{95, 100}, {90, 92}, {0, 0}});
  CHECK(encode_to_vector(f) == hex("02 4064 00 02 05 01 02 4058 00"));
  check_round_trip(f);
}

TEST_CASE("ack_frame: 64 ranges round-trip, a 65th does not fit the list") {
  auto f = ack_with_ranges(max_ack_ranges, 1'000'000);
  CHECK(f.ranges.full());
  CHECK_FALSE(f.ranges.push_back({1, 2}));
  CHECK(f.ranges.size() == 64);
  f.ack_delay = 1234us;
  check_round_trip(f);
}

TEST_CASE("ack_frame: ECN counts select ACK_ECN and round-trip") {
  auto f = make_ack({{10, 20}, {0, 5}}, 1ms);
  f.ecn = ecn_counts{1, 2, varint_max};
  const auto buf = encode_to_vector(f);
  CHECK(buf[0] == std::byte{0x03});
  check_round_trip(f);
}

TEST_CASE("ack_frame: boundary packet numbers round-trip") {
  check_round_trip(make_ack({{0, 0}}));
  check_round_trip(make_ack({{varint_max, varint_max}}));
  check_round_trip(make_ack({{0, varint_max}}));
  check_round_trip(make_ack({{varint_max - 1, varint_max}, {0, varint_max - 3}}));
}

TEST_CASE("ack_frame: ack delay is whole microseconds and saturates on decode") {
  ack_frame f = make_ack({{1, 1}}, 1500ns);
  const auto buf = encode_to_vector(f);
  reader r{buf};
  ack_frame out;
  REQUIRE(!decode(r, out));
  CHECK(out.ack_delay == 1us);
  // Negative delays go out as 0.
  ack_frame neg = make_ack({{1, 1}}, -5us);
  CHECK(encode_to_vector(neg) == hex("02 01 00 00 00"));
  // 2^62-1 microseconds does not fit a duration in nanoseconds: saturate.
  const auto huge = hex("02 01 ffffffffffffffff 00 00");
  reader r2{huge};
  REQUIRE(!decode(r2, out));
  CHECK(out.ack_delay == micros_to_duration(max_duration_micros));
  CHECK(out.ack_delay > tern::duration::zero());
}

TEST_CASE("ack_frame: a first range below zero is ack_range_below_zero") {
  CHECK(decode_error(hex("02 05 00 00 06")) == wire_errc::ack_range_below_zero);
  const auto ok = hex("02 05 00 00 05");
  reader r{ok};
  ack_frame f;
  CHECK(!decode(r, f));
  CHECK(f.ranges[0] == ack_range{0, 5});
}

TEST_CASE("ack_frame: a gap or a range reaching below zero is ack_range_below_zero") {
  // [3,5] then gap 2 -> largest 3-2-2 = -1
  CHECK(decode_error(hex("02 05 00 01 02 02 00")) == wire_errc::ack_range_below_zero);
  // [3,5] then gap 1 -> largest 0, length 0 -> [0,0] is fine
  CHECK(!decode_error(hex("02 05 00 01 02 01 00")));
  // ... length 1 -> smallest -1
  CHECK(decode_error(hex("02 05 00 01 02 01 01")) == wire_errc::ack_range_below_zero);
  // smallest already 0 or 1: no room for any further range
  CHECK(decode_error(hex("02 05 00 01 05 00 00")) == wire_errc::ack_range_below_zero);
  CHECK(decode_error(hex("02 05 00 01 04 00 00")) == wire_errc::ack_range_below_zero);
  // huge values
  CHECK(decode_error(hex("02 05 00 01 00 ffffffffffffffff 00")) == wire_errc::ack_range_below_zero);
  CHECK(decode_error(hex("02 05 00 01 00 00 ffffffffffffffff")) == wire_errc::ack_range_below_zero);
}

TEST_CASE("ack_frame: a range count above the limit is too_many_ack_ranges") {
  // 63 additional ranges is the most (64 in all).
  auto f = ack_with_ranges(64, 1'000'000);
  auto buf = encode_to_vector(f);
  CHECK(buf[6] == std::byte{63}); // type, 4-byte largest, delay, count
  CHECK(!decode_error(buf));
  CHECK(decode_error(hex("02 05 00 4040 00")) == wire_errc::too_many_ack_ranges);
  CHECK(decode_error(hex("02 05 00 ffffffffffffffff 00")) == wire_errc::too_many_ack_ranges);
}

TEST_CASE("ack_frame: every truncation is truncated") {
  auto f = ack_with_ranges(5, 100'000);
  f.ecn = ecn_counts{300, 2, 70000};
  const auto buf = encode_to_vector(f);
  for (std::size_t len = 0; len < buf.size(); ++len) {
    CAPTURE(len);
    CHECK(decode_error(std::span(buf).first(len)) == wire_errc::truncated);
  }
}

TEST_CASE("ack_frame: malformed range lists are refused by the encoder") {
  CHECK(encode_error(ack_frame{}) == wire_errc::invalid_ack_ranges);
  CHECK(encode_error(make_ack({{5, 4}})) == wire_errc::invalid_ack_ranges);
  CHECK(encode_error(make_ack({{1, 4}, {5, 9}})) == wire_errc::invalid_ack_ranges);  // ascending
  CHECK(encode_error(make_ack({{5, 9}, {1, 5}})) == wire_errc::invalid_ack_ranges);  // overlapping
  CHECK(encode_error(make_ack({{5, 9}, {1, 4}})) == wire_errc::invalid_ack_ranges);  // adjacent
  CHECK(encode_error(make_ack({{1, 9}, {0, 0}})) == wire_errc::invalid_ack_ranges);  // no gap below 1
  CHECK(!encode_error(make_ack({{5, 9}, {1, 3}})));
  CHECK(encode_error(make_ack({{0, varint_max + 1}})) == wire_errc::varint_out_of_range);
  auto ecn = make_ack({{1, 1}});
  ecn.ecn = ecn_counts{varint_max + 1, 0, 0};
  CHECK(encode_error(ecn) == wire_errc::varint_out_of_range);
}

TEST_CASE("ack_frame: encoding into too little space is no_space and writes nothing") {
  const auto f = ack_with_ranges(8, 50'000);
  const auto size = encoded_size(f);
  for (std::size_t space = 0; space < size; ++space) CHECK(encode_error(f, space) == wire_errc::no_space);
  CHECK(!encode_error(f, size));
}

TEST_CASE("ack_frame: truncated encoding keeps the highest ranges that fit") {
  auto f = ack_with_ranges(64, 1'000'000);
  f.ack_delay = 10ms;
  const std::size_t full = encoded_size(f);
  std::size_t previous = 0;
  for (std::size_t space = 0; space <= full + 5; ++space) {
    CAPTURE(space);
    std::vector<std::byte> buf(space);
    writer w{buf};
    std::size_t written = 99;
    const auto ec = encode_truncated(w, f, written);
    if (ec) {
      CHECK(ec == wire_errc::no_space);
      CHECK(written == 0);
      CHECK(w.position() == 0);
      continue;
    }
    REQUIRE(written >= 1);
    CHECK(written >= previous);
    previous = written;
    reader r{w.written()};
    ack_frame out;
    REQUIRE(!decode(r, out));
    CHECK(r.empty());
    REQUIRE(out.ranges.size() == written);
    for (std::size_t i = 0; i < written; ++i) CHECK(out.ranges[i] == f.ranges[i]);
    // Maximal: one more range would not have fit.
    if (written < f.ranges.size()) {
      ack_frame more = f;
      more.ranges.truncate(written + 1);
      CHECK(encoded_size(more) > space);
    }
  }
  CHECK(previous == 64);
}

TEST_CASE("ack_frame: random range lists round-trip and respect the rules") {
  tern::random_source rng{tern::test::seed()};
  for (int i = 0; i < 2000; ++i) {
    ack_frame f;
    std::uint64_t next = rng.uniform(std::uint64_t{1} << (rng.uniform(62) + 1));
    const std::size_t n = 1 + rng.uniform(max_ack_ranges);
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t len = std::min(next, rng.uniform(std::uint64_t{1} << rng.uniform(20)));
      f.ranges.push_back({next - len, next});
      const std::uint64_t gap = 2 + rng.uniform(std::uint64_t{1} << rng.uniform(20));
      if (next - len < gap) break;
      next = next - len - gap;
    }
    f.ack_delay = std::chrono::microseconds{rng.uniform(1'000'000)};
    if (rng.uniform(2) == 0) f.ecn = ecn_counts{rng.uniform(1000), rng.uniform(1000), rng.uniform(1000)};
    check_round_trip(f);
  }
}
