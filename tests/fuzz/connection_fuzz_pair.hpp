#pragma once

// The connection fuzz targets' shared part: a client and a server
// core::connection, each behind a core::endpoint, in virtual time over an
// in-memory network, and the program of operations an input describes
// (its format: tests/fuzz/connection_fuzz.cpp). connection_fuzz starts the
// pair established without TLS, connection_handshake_fuzz with a real
// handshake; both read the same programs.

#include "datagrams_in_flight.hpp"

#include "core/connection.hpp"
#include "core/endpoint.hpp"
#include "stream/stream_id.hpp"
#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"
#include "support/connection_test_access.hpp"
#include "support/endpoint_test_access.hpp"
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

namespace tern::fuzz {

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

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "connection_fuzz: %s\n", what);
  std::abort();
}

struct shared_setup {
  std::shared_ptr<const crypto::tls_context> client_tls;
  endpoint_config client_side;
  endpoint_config server_side;
};

/// Made once: generating the identity is the slow part.
inline const shared_setup& setup() {
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

/// How a pair begins.
enum class pair_start {
  /// A client connect()s; handshake() then runs TLS 1.3 to the end.
  real_handshake,
  /// Both established at once (connection_test_access::established): the
  /// fixed keys and IDs a handshake would have agreed, no TLS.
  established_without_tls,
};

class fuzz_pair {
public:
  explicit fuzz_pair(pair_start how) : rng_(seed) {
    static_assert(datagrams_in_flight::capacity == 4 * max_datagrams_per_flush);
    in_flight_.clear();
    const auto& s = setup();
    client_.addr = address::ipv4({10, 0, 0, 1}, 40000);
    server_.addr = address::ipv4({10, 0, 0, 2}, 443);
    server_.ep = std::make_unique<endpoint>(s.server_side, rng_);
    client_.ep = std::make_unique<endpoint>(s.client_side, rng_);
    if (how == pair_start::established_without_tls) {
      auto pair = connection_test_access::established(s.client_side.connection, s.server_side.connection,
                                                      client_.addr, server_.addr, rng_, now_);
      client_.conn = std::move(pair.client);
      server_.conn = std::move(pair.server);
      client_.handle = endpoint_test_access::adopt(*client_.ep, *client_.conn, now_);
      server_.handle = endpoint_test_access::adopt(*server_.ep, *server_.conn, now_);
      server_.ep->claim(server_.handle);
      return;
    }
    std::error_code ec;
    client_.conn = client_.ep->connect(server_.addr, s.client_tls, now_, ec, client_.handle);
    if (ec || !client_.conn) fail("connect failed");
  }

  ~fuzz_pair() {
    // Connections first: the endpoints only point at them.
    if (server_.conn) server_.ep->remove(server_.handle);
    client_.ep->remove(client_.handle);
  }

  /// Runs the handshake to confirmation on both sides (at once when the pair
  /// started established); false if it did not get there.
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
        in_flight_.push(s == &client_, std::span<const std::byte>(buf).first(t->size));
      }
      sync(*s);
      while (auto e = s->conn->poll_event())
        if (e->what == connection_event::kind::stream_opened) s->remember(e->stream_id);
    }
  }

  /// Time moves on by `d`: what is in flight arrives, then timers fire.
  void advance(duration d) {
    now_ += d;
    // Delivery sends nothing (only flush() does), so what arrives is what
    // was in flight when time moved.
    const std::size_t arriving = drop_next_ ? 0 : in_flight_.size();
    drop_next_ = false;
    for (std::size_t i = 0; i < arriving; ++i) {
      auto& dg = in_flight_[i];
      if (!dg.to_server) {
        client_.ep->on_datagram(dg.bytes(), server_.addr, now_);
        continue;
      }
      auto outcome = server_.ep->on_datagram(dg.bytes(), client_.addr, now_);
      if (outcome.what == datagram_outcome::kind::accepted) {
        if (server_.conn) fail("a second server connection was accepted");
        server_.conn = std::move(outcome.accepted);
        server_.handle = outcome.handle;
        server_.ep->claim(server_.handle);
      }
    }
    in_flight_.clear();
    ran_.clear();
    client_.ep->on_timeout(now_, ran_);
    server_.ep->on_timeout(now_, ran_);
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
  /// Sent, not yet delivered: at most 4 flushes' worth.
  datagrams_in_flight& in_flight_ = datagrams_in_flight::shared();
  std::vector<connection_handle> ran_; ///< on_timeout's, kept between steps
  bool drop_next_ = false;
};

} // namespace tern::fuzz
