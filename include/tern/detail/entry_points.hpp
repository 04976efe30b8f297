#pragma once

// The library functions the public templates call. Each takes a type-erased
// op (detail/async_op.hpp) and completes it exactly once: at once (posted)
// when it can, or later when the connection gets what the op waits for, or
// with operation_aborted when it is cancelled or the endpoint closes.

#include <tern/detail/async_op.hpp>

#include <asio/buffer.hpp>
#include <asio/ip/udp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

namespace tern {

class connection;
class byte_stream;
struct connect_options;
struct received_message;
struct message_options;
struct stream_options;

namespace detail {

class endpoint_impl;
class connection_impl;

using connection_op = async_op_ptr<std::error_code, connection>;
using stream_op = async_op_ptr<std::error_code, byte_stream>;
using size_op = async_op_ptr<std::error_code, std::size_t>;
using id_op = async_op_ptr<std::error_code, std::uint64_t>;
using message_op = async_op_ptr<std::error_code, received_message>;
using endpoint_op = async_op_ptr<std::error_code, asio::ip::udp::endpoint>;
using error_op = async_op_ptr<std::error_code>;

void endpoint_connect(const std::shared_ptr<endpoint_impl>& ep, const asio::ip::udp::endpoint& remote,
                      const connect_options& options, connection_op op);
void endpoint_accept(const std::shared_ptr<endpoint_impl>& ep, connection_op op);
void endpoint_discover(const std::shared_ptr<endpoint_impl>& ep, const asio::ip::udp::endpoint& stun_server,
                       endpoint_op op);
void endpoint_wait_mapped_address_change(const std::shared_ptr<endpoint_impl>& ep, endpoint_op op);

void connection_open_stream(const std::shared_ptr<connection_impl>& c, bool unidirectional, stream_op op);
void connection_open_stream(const std::shared_ptr<connection_impl>& c, const stream_options& options, stream_op op);
void connection_wait_handshake(const std::shared_ptr<connection_impl>& c, error_op op);
void connection_accept_stream(const std::shared_ptr<connection_impl>& c, bool unidirectional, stream_op op);
void connection_send_datagram(const std::shared_ptr<connection_impl>& c, asio::const_buffer payload,
                              std::chrono::steady_clock::time_point deadline, error_op op);
void connection_receive_datagram(const std::shared_ptr<connection_impl>& c, asio::mutable_buffer out, size_op op);
void connection_send_message(const std::shared_ptr<connection_impl>& c, asio::const_buffer message,
                             std::chrono::steady_clock::time_point deadline, id_op op);
void connection_send_message(const std::shared_ptr<connection_impl>& c, asio::const_buffer message,
                             std::chrono::steady_clock::time_point deadline, const message_options& options,
                             id_op op);
void connection_receive_message(const std::shared_ptr<connection_impl>& c, message_op op);
void connection_wait_path_change(const std::shared_ptr<connection_impl>& c, endpoint_op op);
void connection_wait_closed(const std::shared_ptr<connection_impl>& c, error_op op);
void connection_wait_target_rate(const std::shared_ptr<connection_impl>& c, id_op op);

void stream_read(const std::shared_ptr<connection_impl>& c, std::uint64_t id, asio::mutable_buffer out, size_op op);
void stream_write(const std::shared_ptr<connection_impl>& c, std::uint64_t id, asio::const_buffer data, size_op op);

/// The first non-empty buffer of a sequence (an empty one if all are).
template <class Buffers, class Buffer>
Buffer first_buffer(const Buffers& buffers) {
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
    Buffer b(*it);
    if (b.size() != 0) return b;
  }
  return Buffer();
}

} // namespace detail
} // namespace tern
