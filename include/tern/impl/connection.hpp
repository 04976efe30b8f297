#pragma once

// Template bodies of tern::connection (included by tern/connection.hpp).

namespace tern {

template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
auto connection::async_open_stream(bool unidirectional, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, byte_stream)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, bool uni) {
        detail::connection_open_stream(impl, uni, detail::make_op<std::error_code, byte_stream>(std::move(handler), ex));
      },
      token, impl_, executor_, unidirectional);
}

template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
auto connection::async_open_stream(const stream_options& options, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, byte_stream)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, stream_options o) {
        detail::connection_open_stream(impl, o, detail::make_op<std::error_code, byte_stream>(std::move(handler), ex));
      },
      token, impl_, executor_, options);
}

template <asio::completion_token_for<void(std::error_code)> Token>
auto connection::async_wait_handshake(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex) {
        detail::connection_wait_handshake(impl, detail::make_op<std::error_code>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

template <asio::completion_token_for<void(std::error_code, byte_stream)> Token>
auto connection::async_accept_stream(bool unidirectional, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, byte_stream)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, bool uni) {
        detail::connection_accept_stream(impl, uni, detail::make_op<std::error_code, byte_stream>(std::move(handler), ex));
      },
      token, impl_, executor_, unidirectional);
}

template <asio::completion_token_for<void(std::error_code)> Token>
auto connection::async_send_datagram(asio::const_buffer payload, std::chrono::steady_clock::time_point deadline,
                                     Token&& token) {
  return asio::async_initiate<Token, void(std::error_code)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, asio::const_buffer p,
         std::chrono::steady_clock::time_point d) {
        detail::connection_send_datagram(impl, p, d, detail::make_op<std::error_code>(std::move(handler), ex));
      },
      token, impl_, executor_, payload, deadline);
}

template <asio::completion_token_for<void(std::error_code, std::size_t)> Token>
auto connection::async_receive_datagram(asio::mutable_buffer out, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, asio::mutable_buffer o) {
        detail::connection_receive_datagram(impl, o,
                                            detail::make_op<std::error_code, std::size_t>(std::move(handler), ex));
      },
      token, impl_, executor_, out);
}

template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
auto connection::async_send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                                    Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, std::uint64_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, asio::const_buffer m,
         std::chrono::steady_clock::time_point d) {
        detail::connection_send_message(impl, m, d,
                                        detail::make_op<std::error_code, std::uint64_t>(std::move(handler), ex));
      },
      token, impl_, executor_, message, deadline);
}

template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
auto connection::async_send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                                    const message_options& options, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, std::uint64_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex, asio::const_buffer m,
         std::chrono::steady_clock::time_point d, message_options o) {
        detail::connection_send_message(impl, m, d, o,
                                        detail::make_op<std::error_code, std::uint64_t>(std::move(handler), ex));
      },
      token, impl_, executor_, message, deadline, options);
}

template <asio::completion_token_for<void(std::error_code, received_message)> Token>
auto connection::async_receive_message(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, received_message)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex) {
        detail::connection_receive_message(impl,
                                           detail::make_op<std::error_code, received_message>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

template <asio::completion_token_for<void(std::error_code, asio::ip::udp::endpoint)> Token>
auto connection::async_wait_path_change(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, asio::ip::udp::endpoint)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex) {
        detail::connection_wait_path_change(
            impl, detail::make_op<std::error_code, asio::ip::udp::endpoint>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

template <asio::completion_token_for<void(std::error_code)> Token>
auto connection::async_wait_closed(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex) {
        detail::connection_wait_closed(impl, detail::make_op<std::error_code>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

template <asio::completion_token_for<void(std::error_code, std::uint64_t)> Token>
auto connection::async_wait_target_rate(Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, std::uint64_t)>(
      [](auto handler, std::shared_ptr<detail::connection_impl> impl, executor_type ex) {
        detail::connection_wait_target_rate(impl,
                                            detail::make_op<std::error_code, std::uint64_t>(std::move(handler), ex));
      },
      token, impl_, executor_);
}

} // namespace tern
