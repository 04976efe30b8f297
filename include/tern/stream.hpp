#pragma once

// tern::byte_stream: one stream of a connection, reliable and ordered bytes
// in each direction. (Not tern::stream: that name is the namespace of the
// stream layer, src/stream.) It models Asio's AsyncReadStream and
// AsyncWriteStream, so asio::async_read, asio::async_write and
// asio::async_read_until work on it unchanged. A byte_stream is a cheap
// handle (copies refer to the same stream); it is used on its endpoint's
// executor only.

#include <tern/detail/entry_points.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

namespace tern {

class byte_stream {
public:
  using executor_type = asio::any_io_executor;

  /// An empty handle; every operation on it fails with errc::unknown_stream.
  byte_stream() = default;

  executor_type get_executor() const noexcept { return executor_; }
  /// The stream ID (RFC 9000 §2.1 numbering: bit 0 = server-initiated,
  /// bit 1 = unidirectional).
  std::uint64_t id() const noexcept { return id_; }
  bool is_unidirectional() const noexcept { return (id_ & 2) != 0; }
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  /// Reads at least one byte into the first non-empty buffer of `buffers`.
  /// Completion: void(std::error_code, std::size_t bytes). Errors:
  /// asio::error::eof once the peer finished and everything was read;
  /// errc::stream_reset; errc::invalid_stream_direction (a stream this side
  /// opened unidirectional); the connection's close reason;
  /// asio::error::operation_aborted when cancelled. A zero-size buffer
  /// completes at once with 0 bytes. One read at a time per stream.
  template <class MutableBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token);

  /// Writes some bytes of the first non-empty buffer of `buffers` into the
  /// stream's send buffer (config::stream_send_buffer), waiting for room if
  /// it is full. Completion: void(std::error_code, std::size_t bytes).
  /// Errors: errc::stream_closed (after shutdown_send or reset),
  /// errc::stopped_by_peer, errc::invalid_stream_direction, the connection's
  /// close reason, operation_aborted. One write at a time per stream.
  template <class ConstBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token);

  /// Ends the sending half after everything written (FIN): the peer reads
  /// eof. Errors: errc::stream_closed (already shut down or reset),
  /// errc::invalid_stream_direction, errc::connection_closed.
  void shutdown_send();
  void shutdown_send(std::error_code& ec) noexcept;

  /// Abandons the sending half with an application error `code` the peer
  /// sees as errc::stream_reset; unsent data is discarded. Errors as
  /// shutdown_send.
  void reset(std::uint64_t code);
  void reset(std::uint64_t code, std::error_code& ec) noexcept;

  /// Asks the peer to stop sending with `code` (STOP_SENDING); reads then
  /// end with errc::stream_reset once the peer resets.
  void stop_reading(std::uint64_t code);
  void stop_reading(std::uint64_t code, std::error_code& ec) noexcept;

  /// The application error code of the peer's RESET_STREAM, once a read
  /// ended with errc::stream_reset; empty before.
  std::optional<std::uint64_t> reset_code() const noexcept;

  /// Scheduling urgency: 0 is sent first, 7 last (default 3).
  void set_urgency(std::uint8_t urgency);
  void set_urgency(std::uint8_t urgency, std::error_code& ec) noexcept;

private:
  friend class detail::connection_impl;
  byte_stream(std::shared_ptr<detail::connection_impl> impl, executor_type ex, std::uint64_t id)
      : impl_(std::move(impl)), executor_(std::move(ex)), id_(id) {}

  std::shared_ptr<detail::connection_impl> impl_;
  executor_type executor_;
  std::uint64_t id_ = 0;
};

} // namespace tern

#include <tern/impl/stream.hpp>
