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
  bool ecn = false;
  std::size_t datagrams_received = 0;
  std::size_t datagrams_sent = 0;
  std::size_t send_syscalls = 0;
  std::size_t receive_syscalls = 0;
  std::size_t datagrams_dropped = 0; ///< unroutable or malformed
  std::size_t path_errors = 0;       ///< ICMP and other per-destination errors, absorbed
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
  /// (fingerprint_mismatch, ... in category "tern.crypto"),
  /// errc::handshake_timeout, errc::closed_by_peer, errc::endpoint_closed,
  /// errc::too_many_connections, operation_aborted (cancelled: the
  /// handshake is abandoned).
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_connect(const asio::ip::udp::endpoint& remote, Token&& token) {
    return async_connect(remote, connect_options{}, std::forward<Token>(token));
  }
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_connect(const asio::ip::udp::endpoint& remote, const connect_options& options, Token&& token);

  /// The next connection a peer opened whose handshake completed (needs
  /// config::accept_connections). Completion:
  /// void(std::error_code, tern::connection). Errors: errc::endpoint_closed,
  /// operation_aborted.
  template <asio::completion_token_for<void(std::error_code, connection)> Token>
  auto async_accept(Token&& token);

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

} // namespace tern
