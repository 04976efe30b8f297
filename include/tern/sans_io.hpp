#pragma once

// Bring your own I/O: tern's sans-IO endpoint and connections, for
// applications that own their event loop (poll, epoll, io_uring, a game or
// audio loop) instead of running tern::endpoint on Asio. Nothing here
// touches a socket or reads a clock, and nothing needs Asio: the library
// offers it even when built with TERN_BUILD_ASIO=OFF. The application feeds
// every received UDP payload and the current time to the endpoint, sends
// what poll_transmit() writes, and calls on_timeout() when next_timeout()
// arrives. It is the very core tern::endpoint drives: the same routing,
// admission (Retry and NEW_TOKEN address validation, connection limits),
// protocol, TLS 1.3 handshake, congestion control and pacing.
//
//   endpoint ep(cfg, ec);                         // certificate, TLS contexts, randomness
//   auto c = ep.connect(server, {}, now, ec);     // a client; servers get theirs from on_datagram
//   loop:
//     auto r = ep.on_datagram(bytes, from, now)   // every datagram the socket received
//     if (r.accepted) keep(std::move(r.accepted)) // a new server connection
//     while (auto t = ep.poll_transmit(buf, now)) send(buf, t->size, t->to)   // Retries
//     for each connection c touched (r.conn, ep.on_timeout(now), your own calls):
//       while (auto t = c->poll_transmit(buf, now)) send(buf, t->size, t->to)
//       while (auto e = c->poll_event()) ...      // streams readable, messages, closed
//     wait until ep.next_timeout() or the socket is readable
//
// poll_transmit() returns nothing while pacing holds the next packet back;
// next_timeout() then says when to ask again. Threading: an endpoint and its
// connections are used from one thread at a time.
//
// See examples/poll_loop for a complete program on poll(2).

#include <tern/address.hpp>
#include <tern/config.hpp>
#include <tern/connection_stats.hpp>
#include <tern/stream_options.hpp>
#include <tern/time.hpp>

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
  address to;
};

/// What changed in a connection; poll_event() after every call that feeds it.
struct event {
  enum class kind : std::uint8_t {
    /// open streams and send from now on (a client that resumed hears it
    /// at completion, one round trip before is_established(), which
    /// follows the server's confirmation)
    handshake_complete,
    stream_opened,      ///< the peer opened `stream_id`: accept_stream() returns it
    stream_readable,    ///< `stream_id` has bytes, its FIN or a reset to read
    stream_writable,    ///< `stream_id` has room in its send buffer again
    datagram_received,  ///< receive_datagram() has one
    message_received,   ///< receive_message() has a message or a drop notice
    path_changed,       ///< the peer's new address was validated and is now used
    closed,             ///< the connection ended: see close_error()
    /// stats().target_rate moved by more than config::target_rate_change
    /// since the last such event (the first one: the first value).
    target_rate_changed,
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

/// What one received datagram led to.
struct datagram_result {
  /// The connection it was for, or null (a Retry was queued, or it was
  /// dropped: garbage, for no connection, refused by a limit).
  connection* conn = nullptr;
  /// A new server connection the datagram started (conn points at it too):
  /// the application owns it from now on.
  std::unique_ptr<connection> accepted;
};

/// The endpoint's counters.
struct endpoint_stats {
  std::size_t connections = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_dropped = 0; ///< garbage, for no connection, or an Initial refused
  std::uint64_t retries_sent = 0;
  std::uint64_t initials_refused = 0;         ///< Initials whose address-validation token did not validate
  std::uint64_t initials_over_limit = 0;      ///< Initials dropped at max_half_open (docs/api.md, "Handshakes under load")
  std::uint64_t handshakes_displaced = 0;     ///< handshakes dropped for a validated client from a less busy address
  std::uint64_t handshakes_unanswered = 0;    ///< under load, handshakes dropped because the client did not answer in time (handshake_answer_ptos)
  std::uint64_t initials_from_unanswered = 0; ///< Initials dropped because their address recently left a handshake unanswered (unanswered_penalty)
  std::uint64_t initials_unauthenticated = 0; ///< Initials that looked right but did not authenticate
  std::size_t half_open = 0;                  ///< handshakes in progress now
};

/// What connections on one socket share: this side's certificate (loaded or
/// generated), the TLS contexts built from a tern::config, the random
/// source, the routing of datagrams to connections, admission of new ones,
/// and one timer queue. Connections may outlive it (they keep what they need
/// alive) but stop receiving when it is gone.
class endpoint {
public:
  /// Errors: errc::invalid_argument (a config that cannot work, such as
  /// accept_connections without a certificate and generate_certificate
  /// off), the certificate layer's (unreadable or mismatched PEM). `seed`
  /// drives the protocol's random choices; 0 draws one from the operating
  /// system.
  endpoint(const config& cfg, std::error_code& ec, std::uint64_t seed = 0);
  ~endpoint();
  endpoint(endpoint&&) noexcept;
  endpoint& operator=(endpoint&&) noexcept;

  /// This side's certificate fingerprint, as config::pinned_fingerprints
  /// takes it ("" without a certificate).
  std::string fingerprint() const;

  /// A client connection to `server`; its first poll_transmit() writes the
  /// Initial packet. Errors: errc::too_many_connections, the TLS layer's
  /// configuration errors (category "tern.crypto"); nullptr then.
  std::unique_ptr<connection> connect(const address& server, const connect_options& options, time_point now,
                                      std::error_code& ec);

  /// One received UDP payload from `from`. Routed to its connection, or,
  /// with config::accept_connections, a tern Initial of at least 1200 bytes
  /// starts a server connection (within config::max_connections and
  /// accept_backlog; with require_address_validation only with a valid
  /// token, else a Retry is queued for poll_transmit()). Anything else is
  /// dropped and counted. Never fails.
  datagram_result on_datagram(std::span<const std::byte> datagram, const address& from, time_point now);

  /// The next datagram the endpoint itself sends (a Retry), written into
  /// `out` (1200 bytes are enough), or nothing. Connections' datagrams come
  /// from connection::poll_transmit().
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now);

  /// The earliest timer of all connections; tern::never when none.
  time_point next_timeout() const noexcept;
  /// Runs the timers of every connection due by `now`; returns those
  /// connections (poll_transmit and poll_event them next).
  std::vector<connection*> on_timeout(time_point now);

  endpoint_stats stats() const noexcept;

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

  /// Writes the next datagram into `out` (at least 1500 bytes) or returns
  /// nothing when nothing may be sent now. Datagrams grow from
  /// config::initial_datagram_size towards config::max_datagram_size as path
  /// MTU probes are acknowledged, so `out` should hold max_datagram_size
  /// bytes (a probe that does not fit is not sent), and the socket should
  /// set the don't-fragment bit (IP_MTU_DISCOVER = IP_PMTUDISC_PROBE on
  /// Linux), or a fragmented probe proves a size the path does not carry;
  /// without it, set max_datagram_size = initial_datagram_size.
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now);

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
  address remote_address() const noexcept;
  std::string alpn() const;
  /// As tern::connection::peer_fingerprint(): on a server connection, the
  /// client's key when config::client_auth asked for one, else "".
  std::string peer_fingerprint() const;
  /// Client: the last NEW_TOKEN token the server gave (empty if none), for
  /// connect_options::address_token on a later connection to it.
  std::vector<std::byte> address_token() const;
  /// As tern::connection::session_ticket() and resumed().
  std::vector<std::byte> session_ticket() const;
  bool resumed() const noexcept;
  /// Early data (connect_options::early_data) went in 0-RTT packets and the
  /// server took it (a client knows once the handshake completed; a server
  /// as soon as it accepted).
  bool early_data_accepted() const noexcept;
  /// Before the handshake completes, data may be sent already: a client
  /// that offered early data (on streams opened with
  /// stream_options::allow_early only), a server that accepted it (0.5-RTT
  /// answers). False once the handshake completed (is_established()).
  bool sends_before_handshake() const noexcept;

  // --- streams ------------------------------------------------------------

  /// Opens a stream of ours. Nothing and no error while the peer's stream
  /// limit forbids another (try again after one of ours closed). Errors:
  /// errc::not_established, connection_closed.
  std::optional<std::uint64_t> open_stream(bool unidirectional, std::error_code& ec);
  /// The same with stream_options: allow_early lets a client's stream data
  /// go in 0-RTT packets (connect_options::early_data); the data of other
  /// streams waits for the handshake.
  std::optional<std::uint64_t> open_stream(const stream_options& options, std::error_code& ec);
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
  /// The same on a message flow, optionally depending on an earlier
  /// message of the flow (message_options); the id counts within the flow.
  std::optional<std::uint64_t> send_message(std::span<const std::byte> message, time_point deadline,
                                            const message_options& options, time_point now, std::error_code& ec);
  /// How message flow `flow` is ordered and prioritised when sending.
  /// Errors: std::errc::invalid_argument (flow, priority or weight out of range).
  std::error_code configure_message_flow(std::uint8_t flow, const message_flow_options& options);
  /// The next message or drop notice of any flow, in id order within the
  /// flow (unordered flows: a message as soon as it is whole).
  std::optional<received_message> receive_message(time_point now);

  // --- closing ------------------------------------------------------------

  /// CONNECTION_CLOSE with an application code (0: normal); the connection
  /// keeps answering for a few probe timeouts, then is_closed().
  void close(std::uint64_t code, std::string_view reason, time_point now);

  struct impl;

private:
  friend class endpoint;
  explicit connection(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace tern::sans_io
