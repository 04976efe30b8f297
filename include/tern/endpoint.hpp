#pragma once

// A tern endpoint: one UDP socket (IPv4 or IPv6) carrying any number of
// connections, routed by connection ID; client, server or both.
//
// Threading: an endpoint, its connections and streams live on the executor
// given at construction and must only be used from it (a single-threaded
// io_context, or a strand). Completion handlers run on their associated
// executor (the endpoint's by default). To use more cores, run one endpoint
// per thread, each on its own io_context, bound to the same port with
// config::reuse_port: the kernel spreads peers across them.

#include <tern/config.hpp>
#include <tern/connection.hpp>
#include <tern/detail/entry_points.hpp>
#include <tern/error.hpp>
#include <tern/stream.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/ip/udp.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

namespace tern {

/// Counters and what the kernel granted, for monitoring.
struct endpoint_info {
  std::size_t connections = 0;       ///< live connections, including handshaking ones
  std::size_t receive_buffer = 0;    ///< SO_RCVBUF as granted, bytes
  std::size_t send_buffer = 0;       ///< SO_SNDBUF as granted, bytes
  bool batched = false;              ///< recvmmsg / sendmmsg in use
  bool gso = false;                  ///< UDP_SEGMENT in use
  bool gro = false;                  ///< UDP_GRO in use
  bool ecn = false;
  std::size_t datagrams_received = 0;
  std::size_t datagrams_sent = 0;
  std::size_t send_syscalls = 0;
  std::size_t receive_syscalls = 0;
  std::size_t datagrams_dropped = 0; ///< unroutable or malformed
  std::size_t retries_sent = 0;      ///< Retry packets (require_address_validation, or a handshake load)
  std::size_t initials_refused = 0;         ///< Initials whose address-validation token did not validate
  std::size_t initials_over_limit = 0;      ///< Initials dropped at max_half_open (docs/api.md, "Handshakes under load")
  std::size_t handshakes_displaced = 0;     ///< handshakes dropped for a validated client from a less busy address
  std::size_t handshakes_unanswered = 0;    ///< under load, handshakes dropped because the client did not answer in time (handshake_answer_ptos)
  std::size_t initials_from_unanswered = 0; ///< Initials dropped because their address recently left a handshake unanswered (unanswered_penalty)
  std::size_t initials_unauthenticated = 0; ///< Initials that looked right but did not authenticate
  std::size_t half_open = 0;                  ///< handshakes in progress now
  std::size_t path_errors = 0;       ///< ICMP and other per-destination errors, absorbed
  std::size_t stun_requests_sent = 0;     ///< Binding requests (discoveries, keepalive re-queries, retransmissions)
  std::size_t stun_indications_sent = 0;  ///< NAT keepalive Binding Indications
  std::size_t stun_requests_answered = 0; ///< Binding requests from others answered
  std::size_t stun_requests_limited = 0;  ///< left unanswered: over stun_answer_rate/burst or the answer queue full
};

class endpoint {
public:
  using executor_type = asio::any_io_executor;

  /// A closed endpoint on `ex`; open() it.
  explicit endpoint(const executor_type& ex);
  /// Opens at once; throws std::system_error on failure.
  endpoint(const executor_type& ex, const asio::ip::udp::endpoint& local, const config& cfg = {});
  /// Closes (see close()).
  ~endpoint();
  endpoint(endpoint&&) noexcept;
  endpoint& operator=(endpoint&&) noexcept;
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  executor_type get_executor() const noexcept { return executor_; }

  /// Binds a UDP socket to `local` (port 0: ephemeral; an IPv6 address also
  /// carries IPv4 when it is the unspecified address), loads or generates the
  /// certificate, and starts receiving. Errors: errc::invalid_argument (a
  /// config that cannot work, such as accept_connections without any
  /// certificate), the TLS layer's configuration errors, the socket's.
  void open(const asio::ip::udp::endpoint& local, const config& cfg, std::error_code& ec);
  void open(const asio::ip::udp::endpoint& local, const config& cfg = {});
  bool is_open() const noexcept;

  /// Closes every connection (each peer is told), completes pending
  /// operations with operation_aborted and closes the socket. Idempotent.
  void close() noexcept;

  asio::ip::udp::endpoint local_endpoint() const noexcept;
  /// SPKI SHA-256 fingerprint of this endpoint's certificate, as
  /// config::pinned_fingerprints takes it ("" without a certificate).
  std::string fingerprint() const;
  endpoint_info info() const noexcept;

  /// Connects to `remote`. Completion: void(std::error_code, tern::connection)
  /// once the handshake completed. Errors: the TLS handshake's
  /// (fingerprint_mismatch, ... in category "tern.crypto"; a server that
  /// authenticates clients and refused this endpoint's certificate:
  /// peer_rejected_certificate, or peer_requires_certificate when it sent
  /// none),
  /// errc::handshake_timeout, errc::closed_by_peer, errc::endpoint_closed,
  /// errc::too_many_connections, operation_aborted (cancelled: the
  /// handshake is abandoned).
  ///
  /// With connect_options::early_data and a session_ticket that is offered,
  /// it completes at once instead, while the handshake goes on: streams
  /// opened with stream_options::allow_early send in 0-RTT packets, the rest
  /// waits for the handshake; connection::async_wait_handshake awaits it
  /// (and reports its errors). A ticket that is not offered (another server
  /// name, ALPN or key) leaves it completing after the handshake.
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_connect(const asio::ip::udp::endpoint& remote, Token&& token) {
    return async_connect(remote, connect_options{}, std::forward<Token>(token));
  }
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_connect(const asio::ip::udp::endpoint& remote, const connect_options& options, Token&& token);

  /// The next connection a peer opened whose handshake completed (needs
  /// config::accept_connections); with config::accept_early_data, one whose
  /// early data was accepted comes at once, before its handshake completes
  /// (connection::handshake_complete() is false until
  /// async_wait_handshake completes: what it reads until then is early
  /// data, which may be a replay). Completion:
  /// void(std::error_code, tern::connection). Errors: errc::endpoint_closed,
  /// operation_aborted.
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_accept(Token&& token);

  /// Asks the STUN server `stun_server` (RFC 8489 Binding) what address
  /// this endpoint's socket has on the far side of any NAT, sending from the
  /// endpoint's own socket, so the answer is the address peers see.
  /// Completion: void(std::error_code, asio::ip::udp::endpoint reflexive).
  /// Requests are retransmitted per config::stun_initial_rto,
  /// stun_max_requests and stun_last_wait_factor; responses from any other
  /// address, or malformed, are ignored. On success the server becomes a
  /// registered mapping: the endpoint re-queries it whenever the path has
  /// been idle for config::nat_keepalive_interval, which keeps the NAT
  /// binding open and feeds async_wait_mapped_address_change. Errors:
  /// errc::stun_timeout, errc::stun_error_response, errc::stun_bad_response,
  /// errc::invalid_argument (an address family the socket cannot reach),
  /// errc::endpoint_closed, operation_aborted (cancelled, or the endpoint
  /// closed).
  template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
  auto async_discover(const asio::ip::udp::endpoint& stun_server, Token&& token);

  /// Completes at the next change of a registered mapping's address (the NAT
  /// rebound the socket to a new port, or the host moved behind another
  /// NAT), as seen by a keepalive re-query or a later async_discover to the
  /// same server. Completion: void(std::error_code, asio::ip::udp::endpoint
  /// new_reflexive). Every waiter pending at the change completes. Errors:
  /// errc::endpoint_closed, operation_aborted.
  template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
  auto async_wait_mapped_address_change(Token&& token);

private:
  executor_type executor_;
  std::shared_ptr<detail::endpoint_impl> impl_;
};

template <asio::completion_token_for<void(std::error_code, connection)> Token>
auto endpoint::async_connect(const asio::ip::udp::endpoint& remote, const connect_options& options, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, connection)>(
      [](auto handler, std::shared_ptr<detail::endpoint_impl> impl, executor_type ex, asio::ip::udp::endpoint r,
         connect_options o) {
        detail::endpoint_connect(impl, r, o, detail::make_op<std::error_code, connection>(std::move(handler), ex));
      },
      token, impl_, executor_, remote, options);
}

template <asio::completion_token_for<void(std::error_code, connection)> Token>
auto endpoint::async_accept(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, connection)>(
      [](auto handler, std::shared_ptr<detail::endpoint_impl> impl, executor_type ex) {
        detail::endpoint_accept(impl, detail::make_op<std::error_code, connection>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
auto endpoint::async_discover(const asio::ip::udp::endpoint& stun_server, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, asio::ip::udp::endpoint)>(
      [](auto handler, std::shared_ptr<detail::endpoint_impl> impl, executor_type ex, asio::ip::udp::endpoint s) {
        detail::endpoint_discover(impl, s,
                                  detail::make_op<std::error_code, asio::ip::udp::endpoint>(std::move(handler), ex));
      },
      token, impl_, executor_, stun_server);
}

template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
auto endpoint::async_wait_mapped_address_change(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, asio::ip::udp::endpoint)>(
      [](auto handler, std::shared_ptr<detail::endpoint_impl> impl, executor_type ex) {
        detail::endpoint_wait_mapped_address_change(
            impl, detail::make_op<std::error_code, asio::ip::udp::endpoint>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

} // namespace tern
