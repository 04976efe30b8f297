#pragma once

// The Asio driver behind tern::endpoint, tern::connection and tern::stream
// (docs/api.md). One endpoint_impl owns the UDP socket, one timer
// (io::wakeup_timer) armed at the sans-IO core::endpoint's next_timeout(),
// and the send batch that poll_transmit() fills and sendmmsg / GSO drains;
// routing, admission and the connections' timers are the core endpoint's
// (in the front end it shares with tern::sans_io). One connection_impl wraps
// a sans-IO core::connection and the operations parked on it.

#include "api/front_end.hpp"
#include "asio/udp_socket.hpp"
#include "asio/wakeup_timer.hpp"
#include "core/connection.hpp"
#include "core/endpoint.hpp"
#include "stun/nat_agent.hpp"

#include <tern/config.hpp>
#include <tern/connection.hpp>
#include <tern/endpoint.hpp>
#include <tern/random.hpp>
#include <tern/stream.hpp>
#include <tern/time.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace tern::detail {

/// Wall time for the core: steady_clock as tern::time_point.
inline time_point now() noexcept { return from_steady(std::chrono::steady_clock::now()); }
inline time_point to_tern(std::chrono::steady_clock::time_point t) noexcept {
  return t == std::chrono::steady_clock::time_point::max() ? never : from_steady(t);
}

/// IPv4-mapped IPv6 addresses (a dual-stack socket) become plain IPv4, so a
/// peer has one address however it is reached.
core::address to_core(const asio::ip::udp::endpoint& e) noexcept;
asio::ip::udp::endpoint to_asio(const core::address& a) noexcept;
/// A received datagram's ECN codepoint as the core counts it.
recovery::ecn_mark to_core(io::ecn_codepoint e) noexcept;

class endpoint_impl;

class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
  connection_impl(std::shared_ptr<endpoint_impl> ep, std::unique_ptr<core::connection> core);
  ~connection_impl();

  endpoint_impl& ep() noexcept { return *ep_; }
  core::connection& core() noexcept { return *core_; }
  const core::connection& core() const noexcept { return *core_; }
  asio::any_io_executor executor() const;
  tern::connection handle();

  /// Whether application calls may still act on the core.
  bool usable() const noexcept;
  /// The error a call fails with when !usable().
  std::error_code unusable_error() const noexcept;
  /// Asks the endpoint to run service() soon (after an application call).
  void touch();

  /// Drains the core's events into the parked operations.
  void process_events(time_point now);
  /// Retries everything parked (after an event or a state change).
  void retry_parked(time_point now);
  /// Completes every parked operation with `ec`.
  void fail_all(std::error_code ec);

  // Application operations (the entry points forward here).
  void open_stream(bool uni, bool allow_early, stream_op op);
  void wait_handshake(error_op op);
  /// Streams may be opened and written: the handshake completed, or data
  /// may go before it (a client's early data, a server's 0.5-RTT).
  bool sends_data() const noexcept { return established || core_->sends_before_handshake(); }
  void accept_stream(bool uni, stream_op op);
  void send_datagram(asio::const_buffer payload, time_point deadline, error_op op);
  void receive_datagram(asio::mutable_buffer out, size_op op);
  void send_message(asio::const_buffer m, time_point deadline, const message_options& options, id_op op);
  void receive_message(message_op op);
  void wait_path_change(endpoint_op op);
  void wait_closed(error_op op);
  /// api_target_rate.cpp: completes `op` at once when the core reported a
  /// target rate this API has not handed out yet (the first one, typically,
  /// which comes with the handshake's ACKs), else parks it until the next
  /// target_rate_changed event; completes every parked one with the new
  /// rate (or `ec`).
  void wait_target_rate(id_op op);
  void complete_target_rate_ops(std::error_code ec);
  void read(std::uint64_t id, asio::mutable_buffer out, size_op op);
  void write(std::uint64_t id, asio::const_buffer data, size_op op);

  struct stream_state {
    size_op read_op;
    asio::mutable_buffer read_buffer;
    size_op write_op;
    asio::const_buffer write_buffer;
    bool fin_read = false;
    std::optional<std::uint64_t> reset_code; // the peer reset the stream with this code
  };
  stream_state& stream_entry(std::uint64_t id) { return streams_[id]; }
  const std::unordered_map<std::uint64_t, stream_state>& stream_entries() const noexcept { return streams_; }

  // Endpoint bookkeeping.
  connection_op connect_op;                      // client, until the handshake completes
  bool established = false;
  bool handed_out = false; // server: given to async_accept (or its backlog)
  bool in_backlog = false;
  bool dirty = false;
  bool removed = false;
  core::connection_handle core_handle = core::no_connection; // in the core endpoint
  std::optional<core::address> nat_peer;        // the peer address the NAT keepalive watches

private:
  void try_read(std::uint64_t id, stream_state& s);
  void try_write(std::uint64_t id, stream_state& s);
  void try_open(time_point now);
  void try_accept();
  void try_datagrams();
  void try_messages(time_point now);

  std::shared_ptr<endpoint_impl> ep_;
  std::unique_ptr<core::connection> core_;
  std::unordered_map<std::uint64_t, stream_state> streams_;
  struct open_wait {
    stream_op op;
    bool allow_early = false;
    const void* get() const noexcept { return op.get(); }
  };
  std::array<std::deque<open_wait>, 2> open_ops_;   // [uni]
  std::array<std::deque<stream_op>, 2> accept_ops_; // [uni]
  struct datagram_wait {
    asio::mutable_buffer out;
    size_op op;
  };
  std::deque<datagram_wait> datagram_ops_;
  std::deque<message_op> message_ops_;
  std::deque<endpoint_op> path_ops_;
  std::deque<error_op> closed_ops_;
  std::deque<error_op> handshake_ops_;
  std::deque<id_op> target_rate_ops_;
  /// The core's reported target rate the waiters were last completed for.
  std::uint64_t target_rate_delivered_ = 0;
};

class endpoint_impl : public std::enable_shared_from_this<endpoint_impl> {
public:
  explicit endpoint_impl(asio::any_io_executor ex);
  ~endpoint_impl();

  std::error_code open(const asio::ip::udp::endpoint& local, const config& cfg);
  void close() noexcept;
  bool is_open() const noexcept { return open_; }

  void connect(const asio::ip::udp::endpoint& remote, const connect_options& options, connection_op op);
  void accept(connection_op op);
  /// STUN on the endpoint's socket (api_nat.cpp).
  void discover(const asio::ip::udp::endpoint& server, endpoint_op op);
  void wait_mapped_address_change(endpoint_op op);

  /// Queues `c` for service() on the next flush (posted once per batch of
  /// application calls, or run at the end of the current I/O event).
  void mark_dirty(connection_impl& c);
  /// A server connection finished its handshake: hand it to async_accept.
  void on_established(connection_impl& c);

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  asio::ip::udp::endpoint local_endpoint() const noexcept { return socket_.local_endpoint(); }
  /// This side's certificate (empty before open()).
  std::string fingerprint() const { return fe_ ? fe_->identity().fingerprint() : std::string{}; }
  endpoint_info info() const noexcept;

private:
  void start_receive();
  void on_readable(std::error_code ec);
  void on_datagram(std::span<std::byte> payload, const asio::ip::udp::endpoint& from, io::ecn_codepoint ecn,
                   time_point now);
  void on_timer();
  void run_dirty(time_point now);
  /// Events, transmissions, routes and timer of one connection.
  void service(connection_impl& c, time_point now);
  void flush(connection_impl& c, time_point now);
  void submit();
  void on_writable(std::error_code ec);
  void arm_timer();
  void remove(connection_impl& c);
  void drain_path_errors();
  /// Moves the core endpoint's stateless answers (Retries) into the batch.
  void send_answers();
  std::shared_ptr<connection_impl> adopt(core::connection_handle handle, std::unique_ptr<core::connection> core);
  // NAT traversal (api_nat.cpp).
  void open_nat();
  void close_nat() noexcept;
  /// Completes the operations the agent's results concern and queues its
  /// datagrams into the send batch.
  void pump_nat(time_point now);
  /// Keeps the agent's watch on `c`'s current peer address.
  void watch_peer(connection_impl& c, time_point now);
  void unwatch_peer(connection_impl& c) noexcept;

  asio::any_io_executor ex_;
  io::udp_socket socket_;
  std::optional<io::udp_recv_batch> rx_;
  io::wakeup_timer timer_;
  time_point timer_at_ = never;
  bool open_ = false;

  config cfg_;
  std::unique_ptr<front_end> fe_; // set by open()
  std::unordered_map<core::connection_handle, std::shared_ptr<connection_impl>> connections_;
  std::vector<std::shared_ptr<connection_impl>> dirty_;
  bool flush_posted_ = false;
  bool in_io_ = false;
  std::deque<std::shared_ptr<connection_impl>> backlog_;
  std::deque<connection_op> accept_ops_;

  // Send batch: datagram i of tx_ lives in slot i of tx_storage_.
  std::size_t tx_slot_size_ = 0;
  std::vector<std::byte> tx_storage_;
  std::vector<io::tx_datagram> tx_;
  std::size_t tx_sent_ = 0;
  bool tx_blocked_ = false;
  std::vector<std::shared_ptr<connection_impl>> tx_waiting_;

  std::optional<stun::nat_agent> nat_;
  std::map<stun::nat_agent::discovery_id, endpoint_op> discover_ops_;
  std::deque<endpoint_op> mapping_change_ops_;
  bool dual_stack_ = false;

  std::size_t datagrams_received_ = 0; // STUN included
  std::size_t path_errors_ = 0;
};

} // namespace tern::detail
