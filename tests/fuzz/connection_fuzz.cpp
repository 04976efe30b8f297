// Fuzzes the connection state machine, both roles, with arbitrary decrypted
// frames. Each input starts from a fresh client and server core::connection,
// each behind a core::endpoint as every driver runs them, in virtual time
// over an in-memory network (tests/fuzz/connection_fuzz_pair.hpp). They
// start established and handshake-confirmed without TLS, through the
// test-only connection_test_access::established (fixed 1-RTT keys, the
// connection IDs a handshake would have agreed): a TLS handshake per input
// cost most of an input's time. connection_handshake_fuzz runs the same
// programs after a real TLS 1.3 handshake. Inputs do not depend on each
// other. The input is a program of at most `max_ops` operations, each one
// op byte then its arguments:
//
//   op & 1        the side that acts: 0 client, 1 server
//   (op >> 1) & 7 what it does:
//     0, 1  inject: a length byte, then that many bytes (unchecked frames)
//           put at the start of the side's next 1-RTT packet through the
//           test-only connection_test_access: the other side decodes them
//     2     time: a byte; virtual time moves on (1 ms to ~8 min), datagrams
//           in flight are delivered (or dropped, see 7) and timers fire
//     3     open a stream (bidi or uni) and write to it, maybe FIN
//     4     read: accept streams, read every known stream, receive
//           messages and datagrams
//     5     reset_stream / stop_sending / write on a known or raw stream id
//     6     send_message / send_datagram
//     7     finish, set_urgency, drop the datagrams in flight, stats, close,
//           a key update; the client's address changes (a NAT rebinding)
//           or the server sends a NEW_TOKEN
//
// After every operation both sides send what they have. Nothing is checked
// beyond what the sanitizers and the library's asserts check, and that the
// program ends: no crash, no leak, bounded time and memory.
//
// Seeds: tests/fuzz/corpus/connection/ (connection_handshake_fuzz's corpus
// is the same directory), written by this target itself when
// TERN_FUZZ_WRITE_SEEDS names a directory (each seed injects valid frames
// encoded with src/wire, with some application calls between them).

#include "connection_fuzz_pair.hpp"

#include "wire/ack_frame.hpp"
#include "wire/frames.hpp"
#include "wire/writer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace tern;
using namespace tern::fuzz;

// --- seed corpus -----------------------------------------------------------

std::vector<std::byte> encoded(const wire::frame& f) {
  std::vector<std::byte> out(wire::encoded_size(f));
  wire::writer w(out);
  if (wire::encode(w, f)) fail("a seed frame does not encode");
  return out;
}

/// A program under construction: each inject() one op (at most 255 bytes).
struct program {
  std::vector<std::uint8_t> bytes;
  void op(std::uint8_t o, std::initializer_list<std::uint8_t> args = {}) {
    bytes.push_back(o);
    bytes.insert(bytes.end(), args.begin(), args.end());
  }
  void inject(bool server, const wire::frame& f) {
    const auto e = encoded(f);
    if (e.size() > 255) fail("a seed frame is too long");
    op(server ? 1 : 0, {static_cast<std::uint8_t>(e.size())});
    for (std::byte b : e) bytes.push_back(static_cast<std::uint8_t>(b));
  }
  void time(std::uint8_t b) { op(2 << 1, {b}); }
};

void write_seed(const std::string& dir, const std::string& name, const program& p) {
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot write a seed");
  std::fwrite(p.bytes.data(), 1, p.bytes.size(), f);
  std::fclose(f);
}

void write_seeds(const std::string& dir) {
  static const std::array<std::byte, 64> data = [] {
    std::array<std::byte, 64> d{};
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::byte>('a' + i % 26);
    return d;
  }();
  const std::span<const std::byte> some{data.data(), 40};
  constexpr std::uint8_t read_client = 4 << 1;
  constexpr std::uint8_t read_server = (4 << 1) | 1;
  {
    program p; // client streams, in order, out of order, FIN; the server reads
    p.inject(false, wire::stream_frame{0, 0, some, false, true});
    p.inject(false, wire::stream_frame{0, 80, some, true, true});
    p.time(3);
    p.inject(false, wire::stream_frame{0, 40, some, false, true});
    p.inject(false, wire::stream_frame{2, 0, some, true, true});
    p.time(3);
    p.op(read_server);
    write_seed(dir, "00-client-streams.bin", p);
  }
  {
    program p; // server-initiated streams and flow control
    p.inject(true, wire::stream_frame{1, 0, some, false, true});
    p.inject(true, wire::stream_frame{3, 0, some, true, true});
    p.inject(true, wire::max_data_frame{1 << 20});
    p.inject(true, wire::max_stream_data_frame{0, 1 << 16});
    p.inject(true, wire::max_streams_frame{true, 100});
    p.inject(true, wire::data_blocked_frame{1000});
    p.inject(true, wire::stream_data_blocked_frame{1, 40});
    p.inject(true, wire::streams_blocked_frame{false, 10});
    p.time(3);
    p.op(read_client);
    write_seed(dir, "01-server-streams-flow.bin", p);
  }
  {
    program p; // the application opens a stream, the peer resets and stops it
    p.op(3 << 1, {0, 200});
    p.time(3);
    p.op(read_server);
    p.inject(true, wire::stop_sending_frame{0, 7});
    p.inject(false, wire::reset_stream_frame{0, 9, 200});
    p.inject(false, wire::reset_stream_frame{4, 9, 0});
    p.time(3);
    p.op(read_server);
    p.op(read_client);
    write_seed(dir, "02-reset-stop.bin", p);
  }
  {
    program p; // ACKs, good and bad
    wire::ack_frame ack;
    ack.ranges.push_back({0, 3});
    p.time(3);
    p.inject(false, ack);
    wire::ack_frame far;
    far.ranges.push_back({90, 100});
    far.ranges.push_back({10, 20});
    far.ack_delay = 3ms;
    far.ecn = wire::ecn_counts{1, 0, 0};
    p.inject(true, far);
    p.time(3);
    write_seed(dir, "03-acks.bin", p);
  }
  {
    program p; // connection IDs
    wire::new_connection_id_frame n;
    n.sequence = 5;
    n.retire_prior_to = 1;
    (void)wire::connection_id::from_bytes(std::span<const std::byte>(data).first(8), n.cid);
    p.inject(false, n);
    p.inject(true, wire::retire_connection_id_frame{1});
    p.inject(false, wire::retire_connection_id_frame{0});
    p.time(3);
    write_seed(dir, "04-connection-ids.bin", p);
  }
  {
    program p; // datagrams and message fragments, an abandon
    p.inject(false, wire::datagram_frame{some, true, std::nullopt});
    p.inject(false, wire::datagram_frame{some, true, wire::message_fields{0, 80, 0, 50ms}});
    p.inject(false, wire::datagram_frame{some, true, wire::message_fields{0, 80, 40, 50ms}});
    p.inject(false, wire::datagram_frame{some, true, wire::message_fields{2, 40, 0, 50ms}});
    p.inject(true, wire::message_abandon_frame{0});
    p.op(6 << 1, {1, 100, 40});
    p.time(3);
    p.op(read_server);
    p.op(read_client);
    write_seed(dir, "05-datagrams-messages.bin", p);
  }
  {
    program p; // path frames, NEW_TOKEN to a server, HANDSHAKE_DONE, PING
    p.inject(false, wire::path_challenge_frame{});
    p.inject(true, wire::path_response_frame{});
    p.inject(false, wire::new_token_frame{some});
    p.inject(false, wire::handshake_done_frame{});
    p.inject(true, wire::ping_frame{});
    p.inject(true, wire::padding_frame{3});
    p.inject(true, wire::crypto_frame{0, some});
    p.time(3);
    write_seed(dir, "06-path-token-crypto.bin", p);
  }
  {
    program p; // the peer closes, then time passes
    p.op(3 << 1, {2, 10});
    p.inject(true, wire::connection_close_frame{false, 0x0a, 0x08, some});
    p.time(3);
    p.time(0xe0);
    write_seed(dir, "07-close.bin", p);
  }
  {
    program p; // plain application traffic both ways, with a loss and timeouts
    p.op(3 << 1, {0x0c, 200});
    p.op((3 << 1) | 1, {0x0d, 100});
    p.op(7 << 1, {3, 0});
    p.time(10);
    p.time(0x40);
    p.op(read_client);
    p.op(read_server);
    p.op(6 << 1, {0, 50});
    p.time(10);
    write_seed(dir, "08-traffic.bin", p);
  }
  {
    program p; // message flows: FLOW_MESSAGE (ordered, unordered, flow 15), FLOW_ABANDON with both causes
    p.inject(false, wire::datagram_frame{some, true, wire::message_fields{0, 80, 0, 50ms, 3, true}});
    p.inject(false, wire::datagram_frame{some, true, wire::message_fields{1, 40, 0, 50ms, 3, true}});
    p.inject(true, wire::datagram_frame{some, true, wire::message_fields{0, 40, 0, 50ms, 15, false}});
    p.inject(false, wire::message_abandon_frame{0, 3, 1});
    p.inject(true, wire::message_abandon_frame{1, 15, 0});
    p.time(3);
    p.op(read_server);
    p.op(read_client);
    write_seed(dir, "09-message-flows.bin", p);
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("TERN_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  (void)setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_pair p{pair_start::established_without_tls};
  if (!p.handshake()) fail("the pair did not start established");
  input in{data, size};
  p.run(in);
  return 0;
}
