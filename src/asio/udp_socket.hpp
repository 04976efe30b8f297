#pragma once

#include "asio/udp_batch.hpp"
#include "asio/udp_error.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/ip/udp.hpp>
#include <asio/socket_base.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <utility>

namespace tern::io {

/// What udp_socket::open asks of the kernel. Each feature is best effort:
/// udp_socket_caps says what was actually granted.
struct udp_socket_options {
  /// IPv6 sockets only: also carry IPv4 traffic as v4-mapped addresses
  /// (IPV6_V6ONLY off). IPv4 destinations passed to send are mapped.
  bool dual_stack = false;
  /// SO_REUSEPORT: several sockets (one per thread) bind the same port and
  /// the kernel spreads flows across them.
  bool reuse_port = false;
  /// Requested SO_RCVBUF / SO_SNDBUF in bytes; 0 keeps the kernel default.
  /// SO_*BUFFORCE is tried first so a privileged process is not capped by
  /// net.core.rmem_max / wmem_max.
  std::size_t recv_buffer = 0;
  std::size_t send_buffer = 0;
  /// Report the received ECN codepoint and write the one each tx_datagram
  /// asks for (RFC 3168).
  bool ecn = true;
  /// Set the don't-fragment bit so oversize datagrams fail with EMSGSIZE
  /// instead of being fragmented: DPLPMTUD (RFC 8899) depends on it.
  bool dont_fragment = true;
  /// Send runs of equal-size datagrams to one peer as one UDP_SEGMENT
  /// super-buffer when the kernel accepts it.
  bool gso = true;
  /// Ask the kernel to coalesce received datagrams (UDP_GRO). Receive slots
  /// must then be 65535 bytes or coalesced buffers arrive truncated.
  bool gro = false;
  /// IP_RECVERR / IPV6_RECVERR: ICMP errors on an unconnected socket are
  /// queued with the destination they concern (without it Linux drops them).
  bool recv_errors = true;
};

/// What the kernel granted at open (and, for GSO, what sends since proved).
struct udp_socket_caps {
  /// SO_RCVBUF / SO_SNDBUF as read back, in bytes. Linux reports twice the
  /// usable payload room because it counts its own per-packet overhead.
  std::size_t recv_buffer = 0;
  std::size_t send_buffer = 0;
  /// SO_RCVBUFFORCE / SO_SNDBUFFORCE were accepted (CAP_NET_ADMIN).
  bool buffers_forced = false;
  /// recvmmsg / sendmmsg are used (Linux); otherwise one datagram per call.
  bool batched = false;
  /// UDP_SEGMENT is in use. Turns false for good the first time the kernel
  /// rejects a GSO send; that send is retried without GSO.
  bool gso = false;
  bool gro = false;
  bool ecn = false;
  bool dont_fragment = false;
  bool recv_errors = false;
};

/// Counters since open, for tests, benchmarks and connection statistics.
struct udp_socket_counters {
  std::size_t send_syscalls = 0;   // sendmmsg (or sendto) calls made
  std::size_t send_messages = 0;   // messages the kernel accepted
  std::size_t send_datagrams = 0;  // datagrams those messages carried
  std::size_t gso_messages = 0;    // accepted messages that carried more than one datagram
  std::size_t recv_syscalls = 0;   // recvmmsg (or recvfrom) calls made
  std::size_t recv_slots = 0;      // buffers filled (one per datagram, or per GRO buffer)
  std::size_t path_errors = 0;     // path errors queued, including ones later dropped
};

/// An error that concerns one destination, never the socket.
struct path_error {
  /// The peer the error concerns; default-constructed (0.0.0.0:0) when the
  /// kernel did not say which.
  asio::ip::udp::endpoint destination;
  /// is_path_error(error) holds, or io_errc::message_too_big for an ICMP
  /// Packet Too Big / Fragmentation Needed or a local MTU refusal.
  std::error_code error;
  /// For message_too_big: the MTU the kernel or the ICMP message reported,
  /// in bytes of IP packet; 0 when unknown.
  std::size_t mtu = 0;
};

/// Outcome of udp_socket::send.
struct send_result {
  /// Datagrams handed to the kernel: always a prefix of the input. Datagrams
  /// refused for a path error are counted as handled (and queued as a
  /// path_error), since retrying them would fail the same way.
  std::size_t sent = 0;
  /// Why sending stopped before the end, clear when everything went:
  /// - io_errc::would_block: the send buffer is full; wait for writability
  ///   and resend from `sent`.
  /// - io_errc::message_too_big: datagram `sent` exceeds the local or path
  ///   MTU with DF set. Drop or shrink it and resend from `sent + 1`.
  /// - anything else: a socket error from the kernel (std::system_category).
  std::error_code error;
};

struct send_scratch; // sendmmsg arrays, udp_socket.cpp

/// A UDP socket (IPv4 or IPv6) that moves datagrams in batches.
///
/// It wraps an asio::ip::udp::socket so it takes part in Asio's reactor:
/// wait with async_wait_readable / async_wait_writable, then call receive /
/// send, which are non-blocking batched system calls (recvmmsg / sendmmsg on
/// Linux; one datagram per call elsewhere). Nothing here throws or allocates
/// per datagram, and no error but a broken descriptor makes it unusable.
/// Not thread-safe: one thread (or strand) uses a socket at a time; scale out
/// with one socket per thread and reuse_port.
class udp_socket {
public:
  explicit udp_socket(const asio::any_io_executor& ex);
  ~udp_socket();
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  /// Opens a socket of local's family, applies `options`, binds to `local`
  /// (port 0 picks an ephemeral port) and makes it non-blocking. Errors: the
  /// socket, bind or non-blocking call failing; options the kernel refuses are
  /// not errors, they show as false / smaller values in caps().
  std::error_code open(const asio::ip::udp::endpoint& local, const udp_socket_options& options = {});
  bool is_open() const noexcept { return socket_.is_open(); }
  void close() noexcept;

  /// The bound address; a default endpoint if closed.
  asio::ip::udp::endpoint local_endpoint() const noexcept;
  const udp_socket_caps& caps() const noexcept { return caps_; }
  const udp_socket_counters& counters() const noexcept { return counters_; }
  asio::ip::udp::socket& asio_socket() noexcept { return socket_; }

  /// Receives up to batch.capacity() datagrams (or GRO buffers) without
  /// blocking. Returns the number of slots filled (also batch.size()).
  /// `ec` is io_errc::would_block when nothing is queued, io_errc::not_open,
  /// or a socket error; ICMP errors met on the way are moved to the path
  /// error queue and do not stop the receive.
  std::size_t receive(udp_recv_batch& batch, std::error_code& ec) noexcept;

  /// Sends the datagrams in order without blocking. Consecutive datagrams to
  /// one destination with one ECN codepoint and one size (the last of a run
  /// may be shorter) go as one GSO super-buffer, at most 64 segments and
  /// 65507 bytes. See send_result for the contract.
  send_result send(std::span<const tx_datagram> datagrams) noexcept;

  /// Pops the oldest queued path error; false when none. The queue holds the
  /// 32 newest; older ones are dropped.
  bool pop_path_error(path_error& out) noexcept;
  std::size_t path_errors_pending() const noexcept { return path_error_count_; }

  /// Completes when a receive may make progress (a datagram or an error is
  /// queued). Handler: void(std::error_code).
  template <class Handler> void async_wait_readable(Handler&& handler) {
    socket_.async_wait(asio::socket_base::wait_read, std::forward<Handler>(handler));
  }
  /// Completes when the send buffer has room again.
  template <class Handler> void async_wait_writable(Handler&& handler) {
    socket_.async_wait(asio::socket_base::wait_write, std::forward<Handler>(handler));
  }

private:
  void push_path_error(const path_error& e) noexcept;
  void drain_error_queue() noexcept;
  std::size_t receive_one_by_one(udp_recv_batch& batch, std::error_code& ec) noexcept;
  send_result send_one_by_one(std::span<const tx_datagram> datagrams) noexcept;

  asio::ip::udp::socket socket_;
  udp_socket_caps caps_;
  udp_socket_counters counters_;
  bool ipv6_ = false;
  std::unique_ptr<send_scratch> scratch_;

  static constexpr std::size_t max_path_errors = 32;
  std::array<path_error, max_path_errors> path_errors_{};
  std::size_t path_error_head_ = 0;
  std::size_t path_error_count_ = 0;
};

} // namespace tern::io
