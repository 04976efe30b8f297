// A 1200-byte 1-RTT packet carrying STREAM frames: header plus frames on
// encode, header plus a frame_reader walk on decode. Two shapes: one
// full-size STREAM frame (bulk transfer) and ten small ones (many streams).

#include "wire/frame_reader.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <vector>

namespace {

using namespace tern::wire;

constexpr std::size_t packet_size = 1200;

struct packet_shape {
  packet_header header;
  std::vector<stream_frame> frames;
};

const std::array<std::byte, packet_size>& data_bytes() {
  static const auto bytes = [] {
    std::array<std::byte, packet_size> b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(i * 31);
    return b;
  }();
  return bytes;
}

packet_header short_header() {
  packet_header h;
  h.type = packet_type::one_rtt;
  const std::array<std::byte, 8> id{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                    std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
  (void)connection_id::from_bytes(id, h.dcid);
  h.packet_number = 0x1234;
  return h;
}

packet_shape one_full_stream() {
  packet_shape s{short_header(), {}};
  const std::size_t room = packet_size - encoded_header_size(s.header, 0);
  const std::uint64_t id = 4;
  const std::uint64_t offset = 10'000'000;
  const auto fit = stream_data_fit(id, offset, room, false);
  s.frames.push_back(stream_frame{id, offset, std::span(data_bytes()).first(*fit), false, false});
  return s;
}

packet_shape ten_small_streams() {
  packet_shape s{short_header(), {}};
  std::size_t room = packet_size - encoded_header_size(s.header, 0);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const bool last = i == 9;
    const auto fit = stream_data_fit(4 * i, 1000 * i, last ? room : room / (10 - i), !last);
    stream_frame f{4 * i, 1000 * i, std::span(data_bytes()).first(*fit), i % 3 == 0, !last};
    room -= encoded_size(f);
    s.frames.push_back(f);
  }
  return s;
}

bool encode_packet(const packet_shape& s, std::span<std::byte> out, std::size_t& size) {
  writer w{out};
  std::size_t payload = 0;
  for (const auto& f : s.frames) payload += encoded_size(f);
  if (encode_header(w, s.header, payload)) return false;
  for (const auto& f : s.frames)
    if (encode(w, f)) return false;
  size = w.position();
  return true;
}

void bm_packet_encode(benchmark::State& state, packet_shape (*make)()) {
  const packet_shape s = make();
  std::array<std::byte, 1500> buf{};
  std::size_t size = 0;
  for (auto _ : state) {
    bool ok = encode_packet(s, buf, size);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(buf.data());
  }
  if (size != packet_size) state.SkipWithError("packet is not 1200 bytes");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet_size));
}

void bm_packet_decode(benchmark::State& state, packet_shape (*make)()) {
  const packet_shape s = make();
  std::array<std::byte, 1500> buf{};
  std::size_t size = 0;
  if (!encode_packet(s, buf, size) || size != packet_size) state.SkipWithError("encode failed");
  const std::span<const std::byte> datagram{buf.data(), size};
  std::size_t frames_seen = 0;
  for (auto _ : state) {
    decoded_header d;
    if (decode_header(datagram, 8, d)) state.SkipWithError("header decode failed");
    frame_reader frames{d.payload, d.header.type};
    frame f;
    std::size_t n = 0;
    while (!frames.done()) {
      if (frames.next(f)) {
        state.SkipWithError("frame decode failed");
        break;
      }
      benchmark::DoNotOptimize(f);
      ++n;
    }
    frames_seen = n;
  }
  if (frames_seen != s.frames.size()) state.SkipWithError("wrong frame count");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet_size));
}

BENCHMARK_CAPTURE(bm_packet_encode, one_full_stream, one_full_stream);
BENCHMARK_CAPTURE(bm_packet_encode, ten_small_streams, ten_small_streams);
BENCHMARK_CAPTURE(bm_packet_decode, one_full_stream, one_full_stream);
BENCHMARK_CAPTURE(bm_packet_decode, ten_small_streams, ten_small_streams);

} // namespace
