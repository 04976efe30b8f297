#include <doctest/doctest.h>

#include "wire/errc.hpp"
#include "wire_test_util.hpp"

#include <set>
#include <string>

using tern::wire::wire_errc;

TEST_CASE("wire_errc: category is tern.wire and every code has its own message") {
  std::set<std::string> messages;
  for (int v = static_cast<int>(wire_errc::truncated);
       v <= static_cast<int>(wire_errc::message_fragment_out_of_range); ++v) {
    const std::error_code ec = static_cast<wire_errc>(v);
    CHECK(std::string{ec.category().name()} == "tern.wire");
    CHECK(ec);
    messages.insert(ec.message());
  }
  const auto count = static_cast<std::size_t>(wire_errc::message_fragment_out_of_range);
  CHECK(messages.size() == count);
  CHECK(messages.count("unknown tern.wire error") == 0);
}

TEST_CASE("wire_errc: compares equal to the error codes made from it") {
  const std::error_code ec = wire_errc::truncated;
  CHECK(ec == wire_errc::truncated);
  CHECK(ec != wire_errc::no_space);
  CHECK(ec != std::make_error_code(std::errc::invalid_argument));
}
