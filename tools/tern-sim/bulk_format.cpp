#include "bulk_format.hpp"

#include <cstring>

namespace tern::bulk {
namespace {

class writer {
public:
  explicit writer(std::span<std::byte> out) : out_{out} {}
  bool put(std::uint64_t v, std::size_t bytes) {
    if (pos_ + bytes > out_.size()) return ok_ = false;
    for (std::size_t i = 0; i < bytes; ++i)
      out_[pos_ + i] = static_cast<std::byte>((v >> (8 * (bytes - 1 - i))) & 0xff);
    pos_ += bytes;
    return true;
  }
  bool varint(std::uint64_t v) {
    if (v < (1u << 6)) return put(v, 1);
    if (v < (1u << 14)) return put(v | 0x4000, 2);
    if (v < (1u << 30)) return put(v | 0x8000'0000ULL, 4);
    if (v < (1ULL << 62)) return put(v | 0xc000'0000'0000'0000ULL, 8);
    return ok_ = false;
  }
  bool zeros(std::size_t n) {
    if (pos_ + n > out_.size()) return ok_ = false;
    std::memset(out_.data() + pos_, 0, n);
    pos_ += n;
    return true;
  }
  std::size_t size() const { return ok_ ? pos_ : 0; }
  std::size_t position() const { return pos_; }

private:
  std::span<std::byte> out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class reader {
public:
  explicit reader(std::span<const std::byte> in) : in_{in} {}
  bool get(std::size_t bytes, std::uint64_t& v) {
    if (pos_ + bytes > in_.size()) return false;
    v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in_[pos_ + i]);
    pos_ += bytes;
    return true;
  }
  bool varint(std::uint64_t& v) {
    if (pos_ >= in_.size()) return false;
    const std::size_t len = std::size_t{1} << (std::to_integer<unsigned>(in_[pos_]) >> 6);
    if (!get(len, v)) return false;
    v &= (len == 8 ? 0x3fff'ffff'ffff'ffffULL : (1ULL << (8 * len - 2)) - 1);
    return true;
  }
  bool skip(std::size_t n) {
    if (pos_ + n > in_.size()) return false;
    pos_ += n;
    return true;
  }
  std::size_t position() const { return pos_; }

private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
};

constexpr std::size_t check_offset = 3;

// FNV-1a over the datagram except the check field and the payload.
std::uint32_t checksum(std::span<const std::byte> d, std::size_t payload_begin, std::size_t payload_end) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if ((i >= check_offset && i < check_offset + 4) || (i >= payload_begin && i < payload_end)) continue;
    h = (h ^ std::to_integer<std::uint32_t>(d[i])) * 16777619u;
  }
  return h;
}

void seal(std::span<std::byte> d, std::size_t payload_begin, std::size_t payload_end) {
  const std::uint32_t h = checksum(d, payload_begin, payload_end);
  for (std::size_t i = 0; i < 4; ++i) d[check_offset + i] = static_cast<std::byte>((h >> (24 - 8 * i)) & 0xff);
}

} // namespace

std::size_t encode_data(std::span<std::byte> out, std::uint64_t packet_number, std::uint64_t offset,
                        std::uint16_t length) {
  writer w{out};
  w.put(flag_data, 1);
  w.put(packet_number & 0xffff, 2);
  w.put(0, 4);
  w.put(offset & 0xffff'ffff'ffffULL, 6);
  w.put(length, 2);
  const std::size_t payload = w.position();
  w.zeros(length);
  const std::size_t size = w.size();
  if (size != 0) seal(out.first(size), payload, payload + length);
  return size;
}

std::size_t encode_ack(std::span<std::byte> out, std::uint64_t packet_number, const recovery::ack_info& ack,
                       bool ping) {
  if (!ack.valid()) return 0;
  writer w{out};
  w.put(flag_ack | (ping ? flag_ping : 0), 1);
  w.put(packet_number & 0xffff, 2);
  w.put(0, 4);
  const auto ranges = ack.ranges();
  w.varint(ranges[0].largest);
  w.varint(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(ack.ack_delay).count()));
  w.varint(ranges.size() - 1);
  w.varint(ranges[0].largest - ranges[0].smallest);
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    w.varint(ranges[i - 1].smallest - ranges[i].largest - 2); // gap
    w.varint(ranges[i].largest - ranges[i].smallest);
  }
  const std::size_t size = w.size();
  if (size != 0) seal(out.first(size), size, size);
  return size;
}

bool decode(std::span<const std::byte> in, decoded_datagram& out) {
  reader r{in};
  std::uint64_t v = 0;
  out.ack.clear();
  if (!r.get(1, v)) return false;
  out.flags = static_cast<std::uint8_t>(v);
  if (!r.get(2, v)) return false;
  out.truncated_packet_number = static_cast<std::uint16_t>(v);
  std::uint64_t check = 0;
  if (!r.get(4, check)) return false;
  std::size_t payload_begin = in.size(), payload_end = in.size();
  if (out.flags & flag_data) {
    if (!r.get(6, out.offset) || !r.get(2, v)) return false;
    out.length = static_cast<std::uint16_t>(v);
    payload_begin = r.position();
    if (!r.skip(out.length)) return false;
    payload_end = r.position();
    for (std::size_t i = payload_begin; i < payload_end; ++i)
      if (in[i] != std::byte{0}) return false;
  }
  if (out.flags & flag_ack) {
    std::uint64_t largest = 0, delay_us = 0, count = 0, first = 0;
    if (!r.varint(largest) || !r.varint(delay_us) || !r.varint(count) || !r.varint(first)) return false;
    if (first > largest || count >= recovery::max_ack_ranges) return false;
    out.ack.ack_delay = std::chrono::microseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(delay_us, 1ULL << 40)));
    std::uint64_t smallest = largest - first;
    out.ack.push_back({smallest, largest});
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t gap = 0, length = 0;
      if (!r.varint(gap) || !r.varint(length)) return false;
      if (smallest < gap + 2) return false;
      const std::uint64_t next_largest = smallest - gap - 2;
      if (length > next_largest) return false;
      smallest = next_largest - length;
      out.ack.push_back({smallest, next_largest});
    }
  }
  if (r.position() != in.size()) return false;
  return checksum(in, payload_begin, payload_end) == static_cast<std::uint32_t>(check);
}

std::uint64_t expand_packet_number(bool any_received, std::uint64_t largest_received, std::uint16_t truncated) {
  if (!any_received) return truncated;
  constexpr std::uint64_t win = 1ULL << 16;
  constexpr std::uint64_t half = win / 2;
  const std::uint64_t expected = largest_received + 1;
  const std::uint64_t candidate = (expected & ~(win - 1)) | truncated;
  if (candidate + half <= expected && candidate < (1ULL << 62) - win) return candidate + win;
  if (candidate > expected + half && candidate >= win) return candidate - win;
  return candidate;
}

} // namespace tern::bulk
