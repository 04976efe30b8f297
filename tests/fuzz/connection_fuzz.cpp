// Fuzzes the connection state machine, both roles, with arbitrary decrypted
// frames. Each input starts from a fresh client and server core::connection,
// each behind a core::endpoint as every driver runs them, handshaked in
// virtual time over an in-memory network (the TLS identity and contexts are
// made once; the handshake itself is redone per input, so inputs do not
// depend on each other). The rest of the input is a program of at most
// `max_ops` operations, each one op byte then its arguments:
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
// Seeds: tests/fuzz/corpus/connection/, written by this target itself when
// TERN_FUZZ_WRITE_SEEDS names a directory (each seed injects valid frames
// encoded with src/wire, with some application calls between them).

#include "core/connection.hpp"
#include "core/endpoint.hpp"
#include "stream/stream_id.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "support/connection_test_access.hpp"
#include "wire/ack_frame.hpp"
#include "wire/frames.hpp"
#include "wire/writer.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace tern;
using namespace tern::core;
using namespace std::chrono_literals;

/// Operations per input: each may make a few packets, so this bounds the
/// time and memory one input costs.
constexpr std::size_t max_ops = 64;
/// Streams each side remembers for its application calls.
constexpr std::size_t max_known_streams = 16;
/// Datagrams one side sends per flush, and flush rounds per operation.
constexpr int max_datagrams_per_flush = 32;
/// The fixed seed of the protocol's random choices.
constexpr std::uint64_t seed = 0x7e4e'f022'0017'0001;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "connection_fuzz: %s\n", what);
  std::abort();
}

struct shared_setup {
  std::shared_ptr<const crypto::tls_context> client_tls;
  endpoint_config client_side;
  endpoint_config server_side;
};

/// Made once: generating the identity is the slow part.
const shared_setup& setup() {
  static const shared_setup s = [] {
    std::error_code ec;
    shared_setup out;
    auto identity = crypto::generate_self_signed(crypto::key_algorithm::ec_p256, "server.tern.test", ec);
    if (ec) fail("generate_self_signed failed");
    connection_config client;
    connection_config server;
    server.tls.identity = identity;
    server.tls.alpn = {"tern/1"};
    client.tls.peer.pinned_fingerprints = {identity.fingerprint()};
    client.tls.alpn = {"tern/1"};
    // Small buffers and windows, so that limits are reachable in one input.
    for (connection_config* c : {&client, &server}) {
      c->stream_send_buffer = 16 * 1024;
      c->max_stream_send_buffer = 64 * 1024;
      c->initial_stream_window = 32 * 1024;
      c->initial_connection_window = 64 * 1024;
      c->max_stream_window = 128 * 1024;
      c->max_connection_window = 256 * 1024;
    }
    out.client_tls = crypto::tls_context::create(crypto::tls_role::client, client.tls, ec);
    if (ec) fail("client tls_context failed");
    out.server_side.connection = server;
    out.server_side.server_tls = crypto::tls_context::create(crypto::tls_role::server, server.tls, ec);
    if (ec) fail("server tls_context failed");
    out.client_side.connection = client;
    if (check(out.server_side) || check(out.client_side)) fail("endpoint config refused");
    return out;
  }();
  return s;
}

/// The input, read front to back; reading past its end gives zeros.
class input {
public:
  input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const noexcept { return pos_ >= size_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::span<const std::byte> bytes(std::size_t n) noexcept {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::span<const std::byte> out{reinterpret_cast<const std::byte*>(data_) + pos_, n};
    pos_ += n;
    return out;
  }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

struct side {
  std::unique_ptr<endpoint> ep;
  std::unique_ptr<connection> conn;
  connection_handle handle = no_connection;
  address addr;
  std::vector<std::uint64_t> streams;

  void remember(std::uint64_t id) {
    if (streams.size() < max_known_streams && std::find(streams.begin(), streams.end(), id) == streams.end())
      streams.push_back(id);
  }
};

struct datagram {
  bool to_server;
  std::vector<std::byte> bytes;
};

class fuzz_pair {
public:
  fuzz_pair() : rng_(seed) {
    const auto& s = setup();
    client_.addr = address::ipv4({10, 0, 0, 1}, 40000);
    server_.addr = address::ipv4({10, 0, 0, 2}, 443);
    server_.ep = std::make_unique<endpoint>(s.server_side, rng_);
    client_.ep = std::make_unique<endpoint>(s.client_side, rng_);
    std::error_code ec;
    client_.conn = client_.ep->connect(server_.addr, s.client_tls, now_, ec, client_.handle);
    if (ec || !client_.conn) fail("connect failed");
  }

  ~fuzz_pair() {
    // Connections first: the endpoints only point at them.
    if (server_.conn) server_.ep->remove(server_.handle);
    client_.ep->remove(client_.handle);
  }

  bool handshake() {
    for (int round = 0; round < 64; ++round) {
      if (client_.conn->is_established() && server_.conn && server_.conn->is_established()) return true;
      flush();
      advance(5ms);
    }
    return false;
  }

  void run(input& in) {
    for (std::size_t ops = 0; ops < max_ops && !in.empty(); ++ops) {
      const std::uint8_t op = in.byte();
      side& me = (op & 1) ? server_ : client_;
      switch ((op >> 1) & 7) {
      case 0:
      case 1: {
        const auto frames = in.bytes(in.byte());
        connection_test_access::inject_frames(*me.conn, frames);
        break;
      }
      case 2: advance(duration_from(in.byte())); break;
      case 3: open_and_write(me, in); break;
      case 4: read_everything(me); break;
      case 5: stream_call(me, in); break;
      case 6: send_unreliable(me, in); break;
      case 7: misc(me, in); break;
      }
      flush();
    }
    // Let what was started play out a little (acks, retransmissions).
    for (int i = 0; i < 4; ++i) {
      flush();
      advance(20ms);
      read_everything(client_);
      if (server_.conn) read_everything(server_);
    }
  }

private:
  static duration duration_from(std::uint8_t b) {
    // 1..32 ms, times 1, 4, 16, ... 4^7: short steps are common, idle
    // timeouts and long PTO backoffs still reachable.
    const auto base = std::chrono::milliseconds((b & 31) + 1);
    return base * (std::int64_t{1} << (2 * (b >> 5)));
  }

  void sync(side& s) {
    if (s.conn) s.ep->update(s.handle, now_);
  }

  /// Both sides send everything they have; it goes in flight.
  void flush() {
    std::array<std::byte, 1500> buf;
    for (side* s : {&client_, &server_}) {
      if (!s->conn) continue;
      for (int i = 0; i < max_datagrams_per_flush; ++i) {
        auto t = s->conn->poll_transmit(buf, now_);
        if (!t) break;
        if (t->size > buf.size()) fail("poll_transmit wrote past its buffer");
        in_flight_.push_back(datagram{s == &client_, std::vector<std::byte>(buf.begin(), buf.begin() + t->size)});
      }
      sync(*s);
      while (auto e = s->conn->poll_event())
        if (e->what == connection_event::kind::stream_opened) s->remember(e->stream_id);
    }
    // Cap what waits: a side that sends without end must not grow memory.
    constexpr std::size_t cap = 4 * max_datagrams_per_flush;
    if (in_flight_.size() > cap) in_flight_.erase(in_flight_.begin(), in_flight_.end() - cap);
  }

  /// Time moves on by `d`: what is in flight arrives, then timers fire.
  void advance(duration d) {
    now_ += d;
    auto arriving = std::move(in_flight_);
    in_flight_.clear();
    if (drop_next_) {
      arriving.clear();
      drop_next_ = false;
    }
    for (auto& dg : arriving) {
      if (!dg.to_server) {
        client_.ep->on_datagram(dg.bytes, server_.addr, now_);
        continue;
      }
      auto outcome = server_.ep->on_datagram(dg.bytes, client_.addr, now_);
      if (outcome.what == datagram_outcome::kind::accepted) {
        if (server_.conn) fail("a second server connection was accepted");
        server_.conn = std::move(outcome.accepted);
        server_.handle = outcome.handle;
        server_.ep->claim(server_.handle);
      }
    }
    std::vector<connection_handle> ran;
    client_.ep->on_timeout(now_, ran);
    server_.ep->on_timeout(now_, ran);
  }

  std::uint64_t pick_stream(side& s, std::uint8_t b) {
    if (s.streams.empty() || (b & 0x80)) return b & 0x7f; // a raw id: maybe unknown, maybe the peer's
    return s.streams[b % s.streams.size()];
  }

  std::span<const std::byte> payload(std::size_t n) {
    static const std::vector<std::byte> bytes = [] {
      std::vector<std::byte> v(64 * 1024);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::byte>(i * 131 + 7);
      return v;
    }();
    return std::span<const std::byte>(bytes).first(std::min(n, bytes.size()));
  }

  void open_and_write(side& s, input& in) {
    const std::uint8_t b = in.byte();
    const std::size_t n = std::size_t{in.byte()} << ((b >> 2) & 7);
    std::error_code ec;
    auto id = s.conn->open_stream((b & 1) ? stream::direction::uni : stream::direction::bidi, ec);
    if (!id) return;
    s.remember(*id);
    (void)s.conn->write(*id, payload(n), ec);
    if (b & 2) (void)s.conn->finish(*id);
    sync(s);
  }

  void read_everything(side& s) {
    for (auto d : {stream::direction::bidi, stream::direction::uni})
      while (auto id = s.conn->accept_stream(d)) s.remember(*id);
    std::array<std::byte, 4096> buf;
    for (std::uint64_t id : s.streams) {
      std::error_code ec;
      for (int i = 0; i < 64; ++i) {
        auto r = s.conn->read(id, buf, ec);
        if (ec || r.bytes == 0 || r.fin) break;
      }
    }
    for (int i = 0; i < 64; ++i)
      if (!s.conn->receive_message(now_)) break;
    for (int i = 0; i < 64; ++i)
      if (!s.conn->receive_datagram(buf)) break;
    sync(s);
  }

  void stream_call(side& s, input& in) {
    const std::uint8_t what = in.byte();
    const std::uint64_t id = pick_stream(s, in.byte());
    const std::uint64_t code = in.byte();
    std::error_code ec;
    switch (what & 3) {
    case 0: (void)s.conn->reset_stream(id, code); break;
    case 1: (void)s.conn->stop_sending(id, code); break;
    case 2: (void)s.conn->write(id, payload(code << (what >> 4)), ec); break;
    case 3: (void)s.conn->writable(id); break;
    }
    sync(s);
  }

  void send_unreliable(side& s, input& in) {
    const std::uint8_t b = in.byte();
    const std::size_t n = std::size_t{in.byte()} << ((b >> 1) & 7);
    std::error_code ec;
    if (b & 1) {
      const duration ttl = duration_from(in.byte());
      (void)s.conn->send_message(payload(n), now_ + ttl, now_, ec);
    } else {
      (void)s.conn->send_datagram(payload(n), (b & 0x80) ? now_ + 10ms : never);
    }
    sync(s);
  }

  void misc(side& s, input& in) {
    const std::uint8_t b = in.byte();
    const std::uint64_t id = pick_stream(s, in.byte());
    switch (b & 7) {
    case 0:
    case 1: (void)s.conn->finish(id); break;
    case 2: (void)s.conn->set_urgency(id, static_cast<std::uint8_t>(b >> 3)); break;
    case 3: drop_next_ = true; break;
    case 4: (void)s.conn->stats(); break;
    case 5:
      // Closing is rare on purpose: it ends what the rest of the input does.
      if (b >> 3 == 0x1f) s.conn->close(id, "fuzz", now_);
      break;
    case 6: (void)connection_test_access::initiate_key_update(*s.conn); break;
    case 7:
      if (&s == &client_) {
        // A NAT rebinding: the client's datagrams come from a new port.
        client_.addr = address::ipv4({10, 0, 0, 1}, static_cast<std::uint16_t>(40000 + (b >> 3)));
      } else {
        const std::array<std::byte, 4> token{std::byte{b}, std::byte{1}, std::byte{2}, std::byte{3}};
        (void)s.conn->send_new_token(token);
      }
      break;
    }
    sync(s);
  }

  random_source rng_;
  time_point now_{};
  side client_;
  side server_;
  std::vector<datagram> in_flight_;
  bool drop_next_ = false;
};

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
  fuzz_pair p;
  if (!p.handshake()) fail("the in-memory handshake did not complete");
  input in{data, size};
  p.run(in);
  return 0;
}
