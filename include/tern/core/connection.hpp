#pragma once

// Bring your own I/O: tern's sans-IO connection, for applications that own
// their event loop (poll, epoll, io_uring, a game or audio loop) instead of
// running tern::endpoint on Asio. Nothing here touches a socket or reads a
// clock: the application feeds received UDP payloads and the current time
// in, sends what poll_transmit() writes, and calls on_timeout() when
// next_timeout() arrives. It is the very core tern::endpoint drives, with the
// same protocol, TLS 1.3 handshake, congestion control and pacing.
//
//   context ctx(cfg, ec);                       // certificate, TLS contexts, randomness
//   auto c = ctx.connect(server, {}, now, ec);  // or ctx.accept(first_datagram, from, now, ec)
//   loop:
//     c->on_datagram(bytes, from, now)          // every datagram the socket received for it
//     while (auto t = c->poll_transmit(buf, now)) send(buf, t->size, t->to)
//     while (auto e = c->poll_event()) ...      // streams readable, messages, closed
//     wait until c->next_timeout() or the socket is readable; c->on_timeout(now) when due
//
// poll_transmit() returns nothing while pacing holds the next packet back;
// next_timeout() then says when to ask again. Threading: a context and its
// connections are used from one thread at a time.
//
// See examples/poll_loop for a complete program on poll(2).

#include <tern/config.hpp>
#include <tern/connection.hpp>
#include <tern/time.hpp>

#include <asio/ip/udp.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern::sans_io {

/// A datagram poll_transmit() wrote: the first `size` bytes of the caller's
/// buffer, to send to `to`.
struct transmit {
  std::size_t size = 0;
  asio::ip::udp::endpoint to;
};

/// What changed in a connection; poll_event() after every call that feeds it.
struct event {
  enum class kind : std::uint8_t {
    handshake_complete, ///< open streams and send from now on
    stream_opened,      ///< the peer opened `stream_id`: accept_stream() returns it
    stream_readable,    ///< `stream_id` has bytes, its FIN or a reset to read
    stream_writable,    ///< `stream_id` has room in its send buffer again
    datagram_received,  ///< receive_datagram() has one
    message_received,   ///< receive_message() has a message or a drop notice
    path_changed,       ///< the peer's new address was validated and is now used
    closed,             ///< the connection ended: see close_error()
  };
  kind what = kind::handshake_complete;
  std::uint64_t stream_id = 0;
};

/// What read() copied out.
struct read_result {
  std::size_t bytes = 0;
  bool fin = false; ///< the stream's last byte has now been read
  /// With errc::stream_reset: the code of the peer's RESET_STREAM.
  std::optional<std::uint64_t> reset_code;
};

class connection;

/// What connections share: this side's certificate (loaded or generated),
/// the TLS contexts built from a tern::config, and the seeded random source
/// for connection IDs and the protocol's random choices. Must outlive the
/// connections it made only as long as they are used (they keep what they
/// need alive).
class context {
public:
  /// Errors: errc::invalid_argument (a config that cannot work, such as
  /// accept_connections without a certificate and generate_certificate
  /// off), the certificate layer's (unreadable or mismatched PEM). `seed`
  /// drives the protocol's random choices; 0 draws one from
  /// std::random_device.
  context(const config& cfg, std::error_code& ec, std::uint64_t seed = 0);
  ~context();
  context(context&&) noexcept;
  context& operator=(context&&) noexcept;

  /// This side's certificate fingerprint, as config::pinned_fingerprints
  /// takes it ("" without a certificate).
  std::string fingerprint() const;

  /// A client connection to `server`; the first poll_transmit() writes the
  /// Initial packet. Errors: the TLS layer's configuration errors
  /// (category "tern.crypto"); nullptr then.
  std::unique_ptr<connection> connect(const asio::ip::udp::endpoint& server, const connect_options& options,
                                      time_point now, std::error_code& ec);

  /// Whether `datagram` can start a server connection: a tern Initial
  /// packet of at least 1200 bytes (anything else from an unknown peer is
  /// dropped without an answer).
  bool is_initial(std::span<const std::byte> datagram) const noexcept;

  /// With config::require_address_validation: for an Initial that carries
  /// no token, or a NEW_TOKEN token that does not validate (forged, expired,
  /// another IP), writes into `out` the stateless Retry to send back to
  /// `from` and returns its size (smaller than the Initial); 0 for anything
  /// else (a datagram with a valid token goes to accept(); one with a bad
  /// Retry token is dropped). 0 also when `out` is too small or the flag is
  /// off.
  std::size_t retry(std::span<const std::byte> datagram, const asio::ip::udp::endpoint& from, time_point now,
                    std::span<std::byte> out);

  /// A server connection from a client's first datagram, already fed to it
  /// (call poll_transmit() next). Needs config::accept_connections.
  /// Errors: errc::invalid_argument when the context does not accept, the
  /// datagram is not an Initial (is_initial() false) or, with
  /// require_address_validation, its token is missing (see retry()),
  /// forged, expired or for another address; nullptr then. A server
  /// connection with require_address_validation gives its client a
  /// NEW_TOKEN token once the handshake is confirmed.
  std::unique_ptr<connection> accept(std::span<const std::byte> first_datagram, const asio::ip::udp::endpoint& from,
                                     time_point now, std::error_code& ec);

  struct state;

private:
  std::shared_ptr<state> state_;
};

/// One connection, client or server. Errors caused by the network never
/// throw: bad packets are dropped and counted, protocol violations close the
/// connection. Stream, datagram and message errors are tern::errc values
/// (stream_reset, stopped_by_peer, buffer_full, ...).
class connection {
public:
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // --- I/O ----------------------------------------------------------------

  /// One received UDP payload from `from`. Never fails.
  void on_datagram(std::span<const std::byte> datagram, const asio::ip::udp::endpoint& from, time_point now);
  /// Writes the next datagram into `out` (at least 1500 bytes) or returns
  /// nothing when nothing may be sent now. Datagrams grow from
  /// config::initial_datagram_size towards config::max_datagram_size as path
  /// MTU probes are acknowledged, so `out` should hold max_datagram_size
  /// bytes (a probe that does not fit is not sent), and the socket should
  /// set the don't-fragment bit (IP_MTU_DISCOVER = IP_PMTUDISC_PROBE on
  /// Linux), or a fragmented probe proves a size the path does not carry;
  /// without it, set max_datagram_size = initial_datagram_size.
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now);
  /// When on_timeout() is due; tern::never when nothing is pending.
  time_point next_timeout() const noexcept;
  void on_timeout(time_point now);
  /// Whether `datagram` belongs to this connection (its Destination
  /// Connection ID is one this side issued): routing for an application that
  /// carries several connections on one socket.
  bool owns(std::span<const std::byte> datagram) const noexcept;

  // --- state --------------------------------------------------------------

  std::optional<event> poll_event();
  bool is_established() const noexcept;
  /// Nothing more will happen: drop the connection.
  bool is_closed() const noexcept;
  /// Why it ended (errc::idle_timeout, closed_by_peer, ... or the TLS
  /// layer's fingerprint_mismatch, alpn_mismatch, ...); empty while open.
  std::error_code close_error() const noexcept;
  std::uint64_t close_code() const noexcept;
  std::string close_reason() const;
  connection_stats stats() const;
  asio::ip::udp::endpoint remote_endpoint() const noexcept;
  std::string alpn() const;
  std::string peer_fingerprint() const;
  /// Client: the last NEW_TOKEN token the server gave (empty if none), for
  /// connect_options::address_token on a later connection to it.
  std::vector<std::byte> address_token() const;

  // --- streams ------------------------------------------------------------

  /// Opens a stream of ours. Nothing and no error while the peer's stream
  /// limit forbids another (try again after one of ours closed). Errors:
  /// errc::not_established, connection_closed.
  std::optional<std::uint64_t> open_stream(bool unidirectional, std::error_code& ec);
  /// The next stream the peer opened that was not accepted yet.
  std::optional<std::uint64_t> accept_stream(bool unidirectional);
  /// Buffers up to data.size() bytes; returns how many (0 when the buffer is
  /// full: wait for stream_writable).
  std::size_t write(std::uint64_t stream_id, std::span<const std::byte> data, std::error_code& ec);
  /// FIN after what was written.
  std::error_code finish(std::uint64_t stream_id);
  /// In-order bytes; 0 bytes and no error when nothing is readable yet.
  /// Errors: errc::stream_reset (the result carries the peer's code; the
  /// stream is gone after that read), unknown_stream.
  read_result read(std::uint64_t stream_id, std::span<std::byte> out, std::error_code& ec);
  std::error_code reset_stream(std::uint64_t stream_id, std::uint64_t code);
  std::error_code stop_sending(std::uint64_t stream_id, std::uint64_t code);
  /// Urgency 0 (sent first) to 7.
  std::error_code set_urgency(std::uint64_t stream_id, std::uint8_t urgency);
  /// Bytes write() would take now.
  std::size_t writable(std::uint64_t stream_id);

  // --- datagrams and deadline messages -------------------------------------

  /// An unreliable datagram, discarded unsent after `deadline`.
  std::error_code send_datagram(std::span<const std::byte> payload, time_point deadline = never);
  /// The oldest received datagram copied into `out` (cut if larger); its
  /// full size.
  std::optional<std::size_t> receive_datagram(std::span<std::byte> out);
  /// A message delivered whole before `deadline` or abandoned; its id.
  std::optional<std::uint64_t> send_message(std::span<const std::byte> message, time_point deadline,
                                            time_point now, std::error_code& ec);
  /// The next message or drop notice, in id order.
  std::optional<received_message> receive_message(time_point now);

  // --- closing ------------------------------------------------------------

  /// CONNECTION_CLOSE with an application code (0: normal); the connection
  /// keeps answering for a few probe timeouts, then is_closed().
  void close(std::uint64_t code, std::string_view reason, time_point now);

  struct impl;

private:
  friend class context;
  explicit connection(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace tern::sans_io
