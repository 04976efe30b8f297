#include <ostream> // error_code stringification in doctest messages

#include <doctest/doctest.h>

#include "asio/udp_error.hpp"

#include <cerrno>

using tern::io::io_errc;

TEST_CASE("io_errc: own category, readable messages, portable conditions") {
  const std::error_code ec = io_errc::message_too_big;
  CHECK(std::string(ec.category().name()) == "tern.io");
  CHECK_FALSE(ec.message().empty());
  CHECK(ec == std::errc::message_size);
  CHECK(std::error_code(io_errc::would_block) == std::errc::operation_would_block);
  CHECK(std::error_code(io_errc::truncated) != std::errc::message_size);
  CHECK(ec.category().message(999) == "unknown tern.io error");
}

TEST_CASE("is_path_error: ICMP-style errno values concern a peer, others do not") {
  using tern::io::is_path_error;
  for (int e : {ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ECONNRESET, EHOSTDOWN})
    CHECK(is_path_error(std::error_code(e, std::system_category())));
  for (int e : {EBADF, ENOBUFS, EINVAL, EMSGSIZE, EAGAIN})
    CHECK_FALSE(is_path_error(std::error_code(e, std::system_category())));
  CHECK_FALSE(is_path_error(std::error_code(io_errc::would_block)));
  CHECK_FALSE(is_path_error(std::error_code{}));
}
