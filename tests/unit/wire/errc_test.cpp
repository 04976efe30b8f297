#include <doctest/doctest.h>

#include "wire/errc.hpp"
#include "wire_test_util.hpp"

#include <set>
#include <string>

using tern::wire::wire_errc;

TEST_CASE("wire_errc: category is tern.wire and every code has its own message") {
  std::set<std::string> messages;
  for (int v = static_cast<int>(wire_errc::truncated);
       v <= static_cast<int>(wire_errc::invalid_message_flags); ++v) {
    const std::error_code ec = static_cast<wire_errc>(v);
    CHECK(std::string{ec.category().name()} == "tern.wire");
    CHECK(ec);
    messages.insert(ec.message());
  }
  const auto count = static_cast<std::size_t>(wire_errc::invalid_message_flags);
  CHECK(messages.size() == count);
  CHECK(messages.count("unknown tern.wire error") == 0);
}

TEST_CASE("wire_errc: values outside the enum fall back, and no code is a generic std::errc") {
  const auto& cat = std::error_code{wire_errc::truncated}.category();
  CHECK(cat.message(0) == "unknown tern.wire error");
  CHECK(cat.message(static_cast<int>(wire_errc::invalid_repair_block) + 1) == "unknown tern.wire error");
  CHECK(std::error_code{wire_errc::truncated} != wire_errc::no_space);
  CHECK(std::error_code{wire_errc::truncated} != std::make_error_code(std::errc::invalid_argument));
  CHECK(std::error_code{wire_errc::truncated} != std::errc::invalid_argument);
}
