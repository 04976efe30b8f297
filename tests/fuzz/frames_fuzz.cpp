// Fuzzes the frame decoder directly, without a packet header in the way: the
// first input byte picks the packet type (initial, handshake, 1-RTT), the
// rest is a packet payload. Whatever decodes completely is re-encoded and
// must decode back equal; every ACK is also re-encoded with
// encode_truncated into a space taken from the selector byte, and the result
// must be exactly the highest ranges of the original. Any mismatch aborts.
// Seeds: tests/fuzz/corpus/frames/.

#include "wire/ack_frame.hpp"
#include "wire/frame_reader.hpp"
#include "wire/frames.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using namespace tern::wire;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "frames_fuzz: %s\n", what);
    std::abort();
  }
}

void check_truncated_ack(const ack_frame& f, std::size_t space) {
  std::vector<std::byte> buf(space);
  writer w{buf};
  std::size_t written = 0;
  const auto ec = encode_truncated(w, f, written);
  if (ec) {
    check(ec == wire_errc::no_space && written == 0 && w.position() == 0, "encode_truncated failed oddly");
    return;
  }
  reader r{w.written()};
  ack_frame out;
  check(!decode(r, out) && r.empty(), "truncated ACK does not decode");
  check(out.ranges.size() == written && written >= 1, "truncated ACK has the wrong range count");
  for (std::size_t i = 0; i < written; ++i) check(out.ranges[i] == f.ranges[i], "truncated ACK ranges differ");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const packet_type types[] = {packet_type::initial, packet_type::handshake, packet_type::zero_rtt,
                               packet_type::one_rtt};
  const packet_type type = types[data[0] & 3];
  const std::span<const std::byte> payload{reinterpret_cast<const std::byte*>(data) + 1, size - 1};

  std::vector<frame> frames;
  if (for_each_frame(payload, type, [&](const frame& f) { frames.push_back(f); })) return 0;

  std::vector<std::byte> out(payload.size() + 1);
  writer w{out};
  for (const frame& f : frames) {
    const std::size_t before = w.position();
    check(!encode(w, f), "re-encoding a decoded frame failed");
    check(w.position() - before == encoded_size(f), "encoded_size disagrees with encode");
    if (const auto* ack = std::get_if<ack_frame>(&f)) check_truncated_ack(*ack, data[0] >> 2);
  }
  std::vector<frame> again;
  check(!for_each_frame(w.written(), type, [&](const frame& f) { again.push_back(f); }),
        "re-encoded frames do not decode");
  check(again == frames, "frames changed in a round trip");
  return 0;
}
