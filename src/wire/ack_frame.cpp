// ACK frame codec (RFC 9000 §19.3). Conversion between the in-memory list of
// absolute ranges and the wire's relative encoding:
//
//   largest   = ranges[0].largest
//   first     = ranges[0].largest - ranges[0].smallest
//   gap[i]    = ranges[i-1].smallest - ranges[i].largest - 2   (i >= 1)
//   length[i] = ranges[i].largest - ranges[i].smallest
//
// The "- 2" makes any gap value describe at least one missing packet number,
// so decoded ranges are disjoint and non-adjacent by construction. Decoding
// subtracts from the largest acknowledged downwards and must check every
// subtraction against zero: that is the one way a well-formed-looking frame
// can be invalid.

#include "wire/ack_frame.hpp"

#include "wire/micros.hpp"
#include "wire/varint.hpp"

namespace tern::wire {
namespace {

constexpr std::uint8_t type_ack = 0x02;
constexpr std::uint8_t type_ack_ecn = 0x03;

status validate(const ack_frame& f) noexcept {
  const auto& r = f.ranges;
  if (r.empty()) return wire_errc::invalid_ack_ranges;
  if (r[0].largest > varint_max) return wire_errc::varint_out_of_range;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i].smallest > r[i].largest) return wire_errc::invalid_ack_ranges;
    if (i > 0 && (r[i - 1].smallest < 2 || r[i].largest > r[i - 1].smallest - 2))
      return wire_errc::invalid_ack_ranges;
  }
  return {};
}

std::size_t pair_size(const ack_range_list& r, std::size_t i) noexcept {
  return varint_size(r[i - 1].smallest - r[i].largest - 2) + varint_size(r[i].largest - r[i].smallest);
}

// Everything but the (gap, length) pairs, for a frame that will carry
// `count` ranges.
std::size_t base_size(const ack_frame& f, std::size_t count) noexcept {
  const auto& r0 = f.ranges[0];
  std::size_t n = 1 + varint_size(r0.largest) + varint_size(duration_to_micros(f.ack_delay)) +
                  varint_size(count - 1) + varint_size(r0.largest - r0.smallest);
  if (f.ecn) n += varint_size(f.ecn->ect0) + varint_size(f.ecn->ect1) + varint_size(f.ecn->ce);
  return n;
}

// Writes `f` with its first `count` ranges; `f` has been validated.
status write_ack(writer& w, const ack_frame& f, std::size_t count) noexcept {
  const auto& r = f.ranges;
  const std::size_t start = w.position();
  auto fail = [&](status ec) {
    w.rewind(start);
    return ec;
  };
  if (auto ec = w.write_u8(f.ecn ? type_ack_ecn : type_ack)) return fail(ec);
  if (auto ec = w.write_varint(r[0].largest)) return fail(ec);
  if (auto ec = w.write_varint(duration_to_micros(f.ack_delay))) return fail(ec);
  if (auto ec = w.write_varint(count - 1)) return fail(ec);
  if (auto ec = w.write_varint(r[0].largest - r[0].smallest)) return fail(ec);
  for (std::size_t i = 1; i < count; ++i) {
    if (auto ec = w.write_varint(r[i - 1].smallest - r[i].largest - 2)) return fail(ec);
    if (auto ec = w.write_varint(r[i].largest - r[i].smallest)) return fail(ec);
  }
  if (f.ecn) {
    if (auto ec = w.write_varint(f.ecn->ect0)) return fail(ec);
    if (auto ec = w.write_varint(f.ecn->ect1)) return fail(ec);
    if (auto ec = w.write_varint(f.ecn->ce)) return fail(ec);
  }
  return {};
}

} // namespace

std::size_t encoded_size(const ack_frame& f) noexcept {
  if (f.ranges.empty()) return 0;
  std::size_t n = base_size(f, f.ranges.size());
  for (std::size_t i = 1; i < f.ranges.size(); ++i) n += pair_size(f.ranges, i);
  return n;
}

std::error_code encode(writer& w, const ack_frame& f) noexcept {
  if (auto ec = validate(f)) return ec;
  return write_ack(w, f, f.ranges.size());
}

std::error_code encode_truncated(writer& w, const ack_frame& f, std::size_t& ranges_written) noexcept {
  ranges_written = 0;
  if (auto ec = validate(f)) return ec;
  // The range count is below 64, always a 1-byte varint, so the base size
  // does not change as ranges are added.
  std::size_t size = base_size(f, 1);
  if (size > w.remaining()) return wire_errc::no_space;
  std::size_t count = 1;
  while (count < f.ranges.size()) {
    const std::size_t next = size + pair_size(f.ranges, count);
    if (next > w.remaining()) break;
    size = next;
    ++count;
  }
  if (auto ec = write_ack(w, f, count)) return ec;
  ranges_written = count;
  return {};
}

namespace detail {

status decode_ack_body(reader& r, std::uint8_t type, ack_frame& f) noexcept {
  std::uint64_t largest = 0;
  std::uint64_t delay_us = 0;
  std::uint64_t count = 0;
  std::uint64_t first = 0;
  if (auto ec = r.read_varint(largest)) return ec;
  if (auto ec = r.read_varint(delay_us)) return ec;
  if (auto ec = r.read_varint(count)) return ec;
  if (count > max_ack_ranges - 1) return wire_errc::too_many_ack_ranges;
  if (auto ec = r.read_varint(first)) return ec;
  if (first > largest) return wire_errc::ack_range_below_zero;

  f.ranges.clear();
  f.ack_delay = micros_to_duration(delay_us);
  std::uint64_t smallest = largest - first;
  f.ranges.push_back({smallest, largest});
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t gap = 0;
    std::uint64_t length = 0;
    if (auto ec = r.read_varint(gap)) return ec;
    if (auto ec = r.read_varint(length)) return ec;
    // next largest = smallest - gap - 2, next smallest = next largest - length
    if (smallest < 2 || gap > smallest - 2) return wire_errc::ack_range_below_zero;
    const std::uint64_t next_largest = smallest - gap - 2;
    if (length > next_largest) return wire_errc::ack_range_below_zero;
    smallest = next_largest - length;
    f.ranges.push_back({smallest, next_largest});
  }

  if (type == type_ack_ecn) {
    ecn_counts counts;
    if (auto ec = r.read_varint(counts.ect0)) return ec;
    if (auto ec = r.read_varint(counts.ect1)) return ec;
    if (auto ec = r.read_varint(counts.ce)) return ec;
    f.ecn = counts;
  } else {
    f.ecn.reset();
  }
  return {};
}

} // namespace detail

std::error_code decode(reader& r, ack_frame& f) noexcept {
  std::uint8_t type = 0;
  if (auto ec = r.peek_u8(type)) return ec;
  if (type != type_ack && type != type_ack_ecn) return wire_errc::wrong_frame_type;
  (void)r.skip(1);
  return detail::decode_ack_body(r, type, f);
}

} // namespace tern::wire
