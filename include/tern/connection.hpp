#pragma once

// A tern connection: streams, unreliable datagrams and deadline messages to
// one peer, over the endpoint that created it. A connection is a cheap handle
// (copies refer to the same connection); it is used on its endpoint's
// executor only. Dropping every handle does not close it: call close().

#include <tern/connection_stats.hpp>
#include <tern/detail/entry_points.hpp>
#include <tern/message_flows.hpp>
#include <tern/stream.hpp>
#include <tern/stream_options.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/ip/udp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern {

class connection {
public:
  using executor_type = asio::any_io_executor;

  /// An empty handle; every operation on it fails with errc::connection_closed.
  connection() = default;

  executor_type get_executor() const noexcept { return executor_; }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  /// Opens a stream (bidirectional unless `unidirectional`), waiting while
  /// the peer's stream limit forbids another. Completion:
  /// void(std::error_code, tern::byte_stream). Errors: the close reason,
  /// operation_aborted.
  template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
  auto async_open_stream(Token&& token) { return async_open_stream(false, std::forward<Token>(token)); }
  template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
  auto async_open_stream(bool unidirectional, Token&& token);
  /// The same with stream_options. allow_early: on a connection that
  /// offered early data (connect_options::early_data), what is written to
  /// the stream before the handshake completes goes in 0-RTT packets, and
  /// may be replayed; the data of other streams waits for the handshake.
  template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
  auto async_open_stream(const stream_options& options, Token&& token);

  /// The next stream the peer opened (bidirectional unless
  /// `unidirectional`). Completion: void(std::error_code, tern::byte_stream).
  template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
  auto async_accept_stream(Token&& token) { return async_accept_stream(false, std::forward<Token>(token)); }
  template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
  auto async_accept_stream(bool unidirectional, Token&& token);

  /// Queues an unreliable datagram (copied), discarded unsent after
  /// `deadline`. Completion: void(std::error_code) once queued. Errors:
  /// errc::message_too_large (beyond 65535 bytes or the queue's budget),
  /// errc::buffer_full, errc::connection_closed / the close reason.
  template <asio::completion_token_for<void(std::error_code)> Token>
  auto async_send_datagram(asio::const_buffer payload, Token&& token) {
    return async_send_datagram(payload, std::chrono::steady_clock::time_point::max(), std::forward<Token>(token));
  }
  template <asio::completion_token_for<void(std::error_code)> Token>
  auto async_send_datagram(asio::const_buffer payload, std::chrono::steady_clock::time_point deadline, Token&& token);
  /// The same, synchronously (queuing never waits).
  void send_datagram(asio::const_buffer payload, std::chrono::steady_clock::time_point deadline,
                     std::error_code& ec) noexcept;
  void send_datagram(asio::const_buffer payload,
                     std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

  /// The oldest received datagram, copied into `out` (cut if larger).
  /// Completion: void(std::error_code, std::size_t full_size).
  template <asio::completion_token_for<void(std::error_code, std::size_t)> Token>
  auto async_receive_datagram(asio::mutable_buffer out, Token&& token);

  /// Queues a message to deliver whole and reliably before `deadline`;
  /// retransmitted until then, then abandoned (the receiver gets a drop
  /// notice). Completion: void(std::error_code, std::uint64_t message_id)
  /// once queued. Errors: errc::message_too_large, errc::buffer_full,
  /// errc::deadline_passed, the close reason.
  template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
  auto async_send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline, Token&& token);
  /// The same, synchronously; returns the message id.
  std::uint64_t send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                             std::error_code& ec) noexcept;
  std::uint64_t send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline);

  /// The same on a message flow, optionally depending on an earlier message
  /// of that flow (message_options; docs/streams.md, "Message flows"). The
  /// id counts within the flow. Errors as above, and std::errc::invalid_argument
  /// for a flow beyond max_message_flows or a depends_on that is not an
  /// earlier id of the flow within 4096.
  template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
  auto async_send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                          const message_options& options, Token&& token);
  std::uint64_t send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                             const message_options& options, std::error_code& ec) noexcept;
  std::uint64_t send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                             const message_options& options);

  /// How message flow `flow` (0 to max_message_flows - 1) is ordered and
  /// prioritised on this side's sending; the peer learns ordering from each
  /// message. Takes effect for data sent afterwards. Errors:
  /// std::errc::invalid_argument (flow, priority or weight out of range), the
  /// close reason.
  void configure_message_flow(std::uint8_t flow, const message_flow_options& options, std::error_code& ec) noexcept;
  void configure_message_flow(std::uint8_t flow, const message_flow_options& options);

  /// The next message or drop notice of any flow, in id order within the
  /// flow (unordered flows: a message as soon as it is whole). Completion:
  /// void(std::error_code, tern::received_message).
  template <asio::completion_token_for<void(std::error_code, received_message)> Token>
  auto async_receive_message(Token&& token);

  /// Completes when the peer's address changed (a NAT rebinding or a
  /// migration) and the new one was validated. Completion:
  /// void(std::error_code, asio::ip::udp::endpoint new_remote).
  template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
  auto async_wait_path_change(Token&& token);

  /// Completes when the connection has ended, with why (errc::closed_locally,
  /// closed_by_peer, idle_timeout, ...). Completion: void(std::error_code).
  template <asio::completion_token_for<void(std::error_code)> Token>
  auto async_wait_closed(Token&& token);

  /// Completes with the target rate (stats().target_rate: bytes per second
  /// the application's media can be sent at without building a queue) when
  /// it has moved by more than config::target_rate_change since it was last
  /// reported; at once if a value was reported that no wait has returned yet
  /// (the first one comes with the handshake's acknowledgements). An
  /// encoder loops on this and retunes its bitrate (docs/media-rate.md).
  /// Completion: void(std::error_code, std::uint64_t bytes_per_second).
  template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
  auto async_wait_target_rate(Token&& token);

  /// Closes with an application error `code` (0 for a normal close) and a
  /// reason the peer sees. Pending operations complete with
  /// errc::closed_locally. Idempotent; never fails.
  void close(std::uint64_t code = 0, std::string_view reason = {}) noexcept;

  /// Whether the handshake completed and the connection was not closed.
  bool is_open() const noexcept;
  /// Why it ended (empty while open), the application code and reason the
  /// peer sent with its close.
  std::error_code close_error() const noexcept;
  std::uint64_t close_code() const noexcept;
  std::string close_reason() const;

  connection_stats stats() const noexcept;
  asio::ip::udp::endpoint remote_endpoint() const noexcept;
  /// The negotiated ALPN protocol ("" if none).
  std::string alpn() const;
  /// The peer certificate's SPKI fingerprint ("" if it sent none). On a
  /// server connection: the client's key, when config::client_auth asked
  /// for one (with require and no pinned_client_fingerprints, the
  /// application must check it before trusting what the client sends).
  std::string peer_fingerprint() const;
  /// Client: the address-validation token the server sent in a NEW_TOKEN
  /// frame (empty until it came: a tern server with
  /// require_address_validation sends one right after the handshake). Give
  /// it to connect_options::address_token of a later connection to the same
  /// server to skip the Retry round trip; it stays readable after close.
  std::vector<std::byte> address_token() const;
  /// Client with config::session_tickets: the session ticket the server sent
  /// (empty until it came, shortly after the handshake; it stays readable
  /// after close). Give it to connect_options::session_ticket of a later
  /// connection to the same server. Holds a secret: never log it.
  std::vector<std::byte> session_ticket() const;
  /// The handshake resumed a session from a ticket.
  bool resumed() const noexcept;

  // --- early data (docs/api.md, "0-RTT through the Asio API") ------------

  /// Completes when the handshake has completed (at once if it has): the
  /// peer is authenticated, early data was accepted or resent, and nothing
  /// sent from now on is replayable. A client whose async_connect completed
  /// early (connect_options::early_data) awaits this before anything that
  /// must not be replayed; a server that received a connection before its
  /// handshake completed (config::accept_early_data) awaits it before
  /// acting on what it read in a way that must not happen twice.
  /// Completion: void(std::error_code). Errors: the close reason.
  template <asio::completion_token_for<void(std::error_code)> Token>
  auto async_wait_handshake(Token&& token);
  /// The handshake has completed (and the connection was not closed).
  bool handshake_complete() const noexcept;
  /// Client: early data went in 0-RTT packets and the server took it (known
  /// once the handshake completed; false before, and when the server
  /// rejected it, in which case the same bytes were sent again under 1-RTT
  /// keys, once). Server: the client's early data was accepted.
  bool early_data_accepted() const noexcept;

private:
  friend class detail::endpoint_impl;
  friend class detail::connection_impl;
  connection(std::shared_ptr<detail::connection_impl> impl, executor_type ex)
      : impl_(std::move(impl)), executor_(std::move(ex)) {}

  std::shared_ptr<detail::connection_impl> impl_;
  executor_type executor_;
};

} // namespace tern

#include <tern/impl/connection.hpp>
