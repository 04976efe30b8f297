#pragma once

// Template bodies of tern::byte_stream (included by tern/stream.hpp).

namespace tern {

template <class MutableBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> ReadToken>
auto byte_stream::async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
  return asio::async_initiate<ReadToken, void(std::error_code, std::size_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, std::uint64_t id,
         asio::mutable_buffer out) {
        auto op = detail::make_op<std::error_code, std::size_t>(std::move(handler), ex);
        detail::stream_read(impl, id, out, std::move(op));
      },
      token, impl_, executor_, id_, detail::first_buffer<MutableBufferSequence, asio::mutable_buffer>(buffers));
}

template <class ConstBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> WriteToken>
auto byte_stream::async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
  return asio::async_initiate<WriteToken, void(std::error_code, std::size_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, std::uint64_t id,
         asio::const_buffer data) {
        auto op = detail::make_op<std::error_code, std::size_t>(std::move(handler), ex);
        detail::stream_write(impl, id, data, std::move(op));
      },
      token, impl_, executor_, id_, detail::first_buffer<ConstBufferSequence, asio::const_buffer>(buffers));
}

} // namespace tern
