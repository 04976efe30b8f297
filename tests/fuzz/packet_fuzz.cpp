// Fuzzes the packet decoder: the input is one datagram (short header DCIDs
// are 8 bytes, as the seed corpus uses). Each packet in it is decoded,
// header then frames; whatever decodes completely is re-encoded and decoded
// again, and must come back equal (round-trip property). Any mismatch aborts.
// Seeds: tests/fuzz/corpus/packet/ (see docs/protocol.md, "Test vectors").

#include "wire/frame_reader.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using namespace tern::wire;

constexpr std::size_t short_dcid_length = 8;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "packet_fuzz: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

void round_trip(const decoded_header& d, const std::vector<frame>& frames) {
  // Re-encode the frames; minimal varints never make them longer.
  std::vector<std::byte> payload(d.payload.size() + 1);
  writer pw{payload};
  for (const frame& f : frames) {
    const std::size_t before = pw.position();
    check(!encode(pw, f), "re-encoding a decoded frame failed");
    check(pw.position() - before == encoded_size(f), "encoded_size disagrees with encode");
  }
  const std::size_t payload_length = pw.position();

  std::vector<std::byte> packet(encoded_header_size(d.header, payload_length) + payload_length);
  writer w{packet};
  check(!encode_header(w, d.header, payload_length), "re-encoding a decoded header failed");
  check(w.position() == encoded_header_size(d.header, payload_length), "encoded_header_size disagrees");
  if (d.header.type != packet_type::retry) check(!w.write_bytes(pw.written()), "payload does not fit");

  decoded_header again;
  check(!decode_header(w.written(), short_dcid_length, again), "re-encoded header does not decode");
  check(again.header == d.header, "header changed in a round trip");
  check(again.packet_length == w.position(), "re-encoded packet length differs");
  if (d.header.type == packet_type::retry) return;

  std::vector<frame> frames_again;
  const auto ec = for_each_frame(again.payload, again.header.type,
                                 [&](const frame& f) { frames_again.push_back(f); });
  check(!ec, "re-encoded frames do not decode");
  check(frames_again == frames, "frames changed in a round trip");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> rest{reinterpret_cast<const std::byte*>(data), size};
  while (!rest.empty()) {
    decoded_header d;
    if (decode_header(rest, short_dcid_length, d)) break;
    check(d.packet_length <= rest.size() && d.header_length <= d.packet_length, "header lengths out of bounds");
    check(d.payload.size() == d.packet_length - d.header_length, "payload span inconsistent");
    std::vector<frame> frames;
    std::error_code ec;
    if (d.header.type != packet_type::retry)
      ec = for_each_frame(d.payload, d.header.type, [&](const frame& f) { frames.push_back(f); });
    if (!ec) round_trip(d, frames);
    rest = rest.subspan(d.packet_length);
  }
  return 0;
}
