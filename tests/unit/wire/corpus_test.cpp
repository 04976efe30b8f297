// The seed corpus of the wire fuzz targets, and its generator. This test
// always builds the seeds and checks each one decodes completely; with
// TERN_WIRE_CORPUS_DIR set it also writes them:
//
//   TERN_WIRE_CORPUS_DIR=tests/fuzz/corpus build/release/tests/unit/wire/wire_tests -tc="fuzz corpus*"
//
// writes tests/fuzz/corpus/packet/*.bin (datagrams for packet_fuzz, short
// header DCIDs of 8 bytes) and tests/fuzz/corpus/frames/*.bin (a packet type
// selector byte and a payload, for frames_fuzz). A second test checks the
// committed files are these seeds; fuzz_replay:packet and fuzz_replay:frames
// (tests/CMakeLists.txt) run every committed file through the targets.

#include <doctest/doctest.h>

#include "wire/frame_reader.hpp"
#include "wire/frames.hpp"
#include "wire/header.hpp"
#include "wire_test_util.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace tern::wire;
using namespace std::chrono_literals;
using tern::wire::test::hex;
using tern::wire::test::text;

namespace {

struct seed {
  std::string name;
  std::vector<std::byte> bytes;
};

const std::vector<std::byte>& blob(std::size_t n) {
  static std::vector<std::vector<std::byte>> cache(2000);
  auto& b = cache.at(n);
  if (b.size() != n)
    for (std::size_t i = b.size(); i < n; ++i) b.push_back(static_cast<std::byte>('a' + i % 26));
  return b;
}

connection_id cid(std::size_t n, int fill) {
  connection_id out;
  std::vector<std::byte> bytes(n, static_cast<std::byte>(fill));
  REQUIRE(!connection_id::from_bytes(bytes, out));
  return out;
}

std::vector<std::byte> payload_of(const std::vector<frame>& frames) {
  std::size_t size = 0;
  for (const auto& f : frames) size += encoded_size(f);
  std::vector<std::byte> out(size);
  writer w{out};
  for (const auto& f : frames) REQUIRE(!encode(w, f));
  return out;
}

std::vector<std::byte> packet(const packet_header& h, const std::vector<frame>& frames) {
  const auto payload = payload_of(frames);
  std::vector<std::byte> out(encoded_header_size(h, payload.size()) + payload.size());
  writer w{out};
  REQUIRE(!encode_header(w, h, payload.size()));
  REQUIRE(!w.write_bytes(payload));
  out.resize(w.position());
  return out;
}

packet_header long_header(packet_type type, std::uint16_t pn) {
  packet_header h;
  h.type = type;
  h.dcid = cid(8, 0xd0);
  h.scid = cid(8, 0x5c);
  h.packet_number = pn;
  return h;
}

packet_header short_header(std::uint16_t pn, bool key_phase = false) {
  packet_header h;
  h.type = packet_type::one_rtt;
  h.dcid = cid(8, 0xd0);
  h.packet_number = pn;
  h.key_phase = key_phase;
  return h;
}

ack_frame ack(std::size_t ranges, std::uint64_t top, bool ecn = false) {
  ack_frame f;
  for (std::size_t i = 0; i < ranges; ++i) f.ranges.push_back({top - 3 * i - 1, top - 3 * i});
  f.ack_delay = 1500us;
  if (ecn) f.ecn = ecn_counts{10, 0, 2};
  return f;
}

// Every frame a 1-RTT packet may carry, one packet each.
std::vector<std::pair<std::string, frame>> one_rtt_frames() {
  new_connection_id_frame ncid;
  ncid.sequence = 4;
  ncid.retire_prior_to = 1;
  ncid.cid = cid(8, 0x77);
  ncid.stateless_reset_token.fill(std::byte{0x42});
  path_challenge_frame challenge;
  challenge.data.fill(std::byte{0x13});
  return {
      {"ping", ping_frame{}},
      {"ack1", ack(1, 1000)},
      {"ack8", ack(8, 70000)},
      {"ack64", ack(64, 1u << 20)},
      {"ack-ecn", ack(3, 500, true)},
      {"reset-stream", reset_stream_frame{4, 7, 100000}},
      {"stop-sending", stop_sending_frame{8, 3}},
      {"new-token", new_token_frame{text("token-for-next-time")}},
      {"stream-len", stream_frame{0, 0, std::span(blob(100)), false, true}},
      {"stream-off-len-fin", stream_frame{4, 12345, std::span(blob(50)), true, true}},
      {"stream-bare", stream_frame{2, 0, std::span(blob(30)), false, false}},
      {"stream-off-fin", stream_frame{6, 1 << 20, std::span(blob(10)), true, false}},
      {"stream-fin-only", stream_frame{10, 999, {}, true, true}},
      {"max-data", max_data_frame{1 << 24}},
      {"max-stream-data", max_stream_data_frame{4, 1 << 20}},
      {"max-streams-bidi", max_streams_frame{true, 100}},
      {"max-streams-uni", max_streams_frame{false, 3}},
      {"data-blocked", data_blocked_frame{1 << 16}},
      {"stream-data-blocked", stream_data_blocked_frame{4, 4096}},
      {"streams-blocked-bidi", streams_blocked_frame{true, 100}},
      {"streams-blocked-uni", streams_blocked_frame{false, 3}},
      {"new-connection-id", ncid},
      {"retire-connection-id", retire_connection_id_frame{2}},
      {"path-challenge", challenge},
      {"path-response", path_response_frame{challenge.data}},
      {"close-transport", connection_close_frame{false, 0x07, 0x02, text("frame encoding error")}},
      {"close-app", connection_close_frame{true, 99, 0, text("bye")}},
      {"handshake-done", handshake_done_frame{}},
      {"datagram-len", datagram_frame{std::span(blob(160)), true, std::nullopt}},
      {"datagram-bare", datagram_frame{std::span(blob(80)), false, std::nullopt}},
      {"message-len", datagram_frame{std::span(blob(300)), true, message_fields{5, 3000, 1200, 40ms}}},
      {"message-bare", datagram_frame{std::span(blob(20)), false, message_fields{6, 20, 0, 1ms}}},
      {"message-abandon", message_abandon_frame{4}},
  };
}

std::vector<seed> packet_seeds() {
  std::vector<seed> out;
  // Handshake packets.
  packet_header initial = long_header(packet_type::initial, 0);
  out.push_back({"initial-crypto-padding",
                 packet(initial, {crypto_frame{0, std::span(blob(300))}, padding_frame{850}})});
  initial.token = text("address-validation-token");
  initial.packet_number = 1;
  out.push_back({"initial-token-crypto-ack", packet(initial, {ack(1, 1), crypto_frame{300, std::span(blob(40))}})});
  out.push_back({"initial-close", packet(long_header(packet_type::initial, 2),
                                         {connection_close_frame{false, 0x0a, 0, text("protocol violation")}})});
  out.push_back({"handshake-crypto", packet(long_header(packet_type::handshake, 0),
                                            {crypto_frame{0, std::span(blob(500))}, ping_frame{}})});
  out.push_back({"handshake-ack-ecn", packet(long_header(packet_type::handshake, 65535), {ack(2, 10, true)})});
  packet_header retry = long_header(packet_type::retry, 0);
  retry.token = text("retry-token-opaque-to-the-client");
  retry.retry_integrity_tag.fill(std::byte{0xee});
  {
    std::vector<std::byte> b(encoded_header_size(retry, 0));
    writer w{b};
    REQUIRE(!encode_header(w, retry, 0));
    out.push_back({"retry", b});
  }
  // 1-RTT packets, one per frame type.
  std::uint16_t pn = 100;
  for (const auto& [name, f] : one_rtt_frames()) out.push_back({"1rtt-" + name, packet(short_header(pn++), {f})});
  // 1-RTT packets with several frames.
  out.push_back({"1rtt-many-streams",
                 packet(short_header(40000, true),
                        {ack(4, 90000), stream_frame{0, 0, std::span(blob(200)), false, true},
                         stream_frame{4, 800, std::span(blob(200)), true, true},
                         stream_frame{8, 0, std::span(blob(200)), false, true}, max_data_frame{1 << 30},
                         stream_frame{12, 64, std::span(blob(300)), false, false}})});
  out.push_back({"1rtt-full-stream", packet(short_header(65535), {stream_frame{0, 1 << 24, std::span(blob(1150)),
                                                                                false, false}})});
  out.push_back({"1rtt-messages",
                 packet(short_header(7), {datagram_frame{std::span(blob(100)), true, message_fields{1, 250, 0, 20ms}},
                                          datagram_frame{std::span(blob(150)), true, message_fields{1, 250, 100, 20ms}},
                                          message_abandon_frame{0}, padding_frame{10}})});
  // Coalesced datagrams.
  {
    auto a = packet(long_header(packet_type::initial, 3), {ack(1, 2), crypto_frame{340, std::span(blob(90))}});
    const auto b = packet(long_header(packet_type::handshake, 1), {crypto_frame{0, std::span(blob(200))}});
    const auto c = packet(short_header(0), {stream_frame{0, 0, text("GET /"), true, true}});
    auto ab = a;
    ab.insert(ab.end(), b.begin(), b.end());
    out.push_back({"coalesced-initial-handshake", ab});
    ab.insert(ab.end(), c.begin(), c.end());
    out.push_back({"coalesced-initial-handshake-1rtt", ab});
  }
  return out;
}

std::vector<seed> frame_seeds() {
  std::vector<seed> out;
  auto with_selector = [](int selector, std::vector<std::byte> payload) {
    payload.insert(payload.begin(), static_cast<std::byte>(selector));
    return payload;
  };
  // Selector: low 2 bits 0 initial, 1 handshake, 2/3 1-RTT; high 6 bits the
  // space frames_fuzz gives encode_truncated.
  for (const auto& [name, f] : one_rtt_frames()) out.push_back({name, with_selector(0xfe, payload_of({f}))});
  out.push_back({"initial-mix", with_selector(0x80, payload_of({ack(3, 40), crypto_frame{0, std::span(blob(64))},
                                                                padding_frame{5}}))});
  out.push_back({"handshake-mix", with_selector(0x41, payload_of({ping_frame{}, ack(2, 9, true),
                                                                  connection_close_frame{false, 1, 6, {}}}))});
  out.push_back({"ack64-small-space", with_selector(0x22, payload_of({ack(64, 100000)}))});
  return out;
}

void check_packet_seed(const seed& s) {
  CAPTURE(s.name);
  std::span<const std::byte> rest = s.bytes;
  while (!rest.empty()) {
    decoded_header d;
    REQUIRE(!decode_header(rest, 8, d));
    if (d.header.type != packet_type::retry) REQUIRE(!for_each_frame(d.payload, d.header.type, [](const frame&) {}));
    rest = rest.subspan(d.packet_length);
  }
}

void check_frame_seed(const seed& s) {
  CAPTURE(s.name);
  const packet_type types[] = {packet_type::initial, packet_type::handshake, packet_type::one_rtt,
                               packet_type::one_rtt};
  const auto type = types[std::to_integer<int>(s.bytes[0]) & 3];
  REQUIRE(!for_each_frame(std::span(s.bytes).subspan(1), type, [](const frame&) {}));
}

/// The file name write_seeds gives seed `i`.
std::string seed_file_name(std::size_t i, const seed& s) {
  return (i < 10 ? "0" : "") + std::to_string(i) + "-" + s.name + ".bin";
}

/// Checks that `dir` (a committed corpus) holds every seed the generator
/// makes, byte for byte: the corpus the fuzzers and fuzz_replay:<name> run
/// is the one this file checks, not a stale copy.
void check_committed(const std::filesystem::path& dir, const std::vector<seed>& seeds) {
  CAPTURE(dir.string());
  std::size_t committed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) committed += entry.path().extension() == ".bin";
  // Seeds added by hand (a crash found once) may follow the generated ones.
  CHECK(committed >= seeds.size());
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const auto path = dir / seed_file_name(i, seeds[i]);
    CAPTURE(path.string());
    std::ifstream f{path, std::ios::binary};
    REQUIRE(f.good());
    std::vector<std::byte> bytes;
    for (char c; f.get(c);) bytes.push_back(static_cast<std::byte>(c));
    CHECK(bytes == seeds[i].bytes);
  }
}

void write_seeds(const std::filesystem::path& dir, const std::vector<seed>& seeds) {
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".bin") std::filesystem::remove(entry.path());
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const auto name = seed_file_name(i, seeds[i]);
    std::ofstream f{dir / name, std::ios::binary};
    f.write(reinterpret_cast<const char*>(seeds[i].bytes.data()), static_cast<std::streamsize>(seeds[i].bytes.size()));
    REQUIRE(f.good());
  }
}

} // namespace

TEST_CASE("fuzz corpus: every seed decodes completely, written on request") {
  const auto packets = packet_seeds();
  const auto frames = frame_seeds();
  CHECK(packets.size() >= 40);
  for (const auto& s : packets) check_packet_seed(s);
  for (const auto& s : frames) check_frame_seed(s);
  if (const char* dir = std::getenv("TERN_WIRE_CORPUS_DIR"); dir != nullptr && *dir != '\0') {
    write_seeds(std::filesystem::path{dir} / "packet", packets);
    write_seeds(std::filesystem::path{dir} / "frames", frames);
    MESSAGE("wrote " << packets.size() << " packet seeds and " << frames.size() << " frame seeds to " << dir);
  }
}

TEST_CASE("fuzz corpus: the committed packet and frames corpora hold the generator seeds byte for byte") {
  // Without this the test above checks the generator only: a committed
  // corpus never regenerated after a codec change would go unnoticed.
  const std::filesystem::path corpus = TERN_FUZZ_CORPUS_DIR;
  check_committed(corpus / "packet", packet_seeds());
  check_committed(corpus / "frames", frame_seeds());
}
