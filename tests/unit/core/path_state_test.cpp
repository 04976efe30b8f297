// core::path_state (src/core/path_state.hpp): the amplification limit, the
// bound on owed PATH_RESPONSEs, and path validation's switch, completion
// and fallback.

#include "core/path_state.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

namespace tern::core {
namespace {

const address first = address::ipv4({10, 0, 0, 1}, 40000);
const address second = address::ipv4({10, 0, 0, 9}, 50000);

path_data data_of(std::uint8_t b) {
  path_data d{};
  d.fill(std::byte{b});
  return d;
}

} // namespace

TEST_CASE("path_state: before validation at most three times what was received may be sent") {
  path_state p;
  p.peer = first;
  CHECK(p.amplification_budget() == 0);
  p.bytes_received = 1200;
  CHECK(p.amplification_budget() == 3600);
  p.bytes_sent = 3000;
  CHECK(p.amplification_budget() == 600);
  p.bytes_sent = 4000;
  CHECK(p.amplification_budget() == 0);
  p.validated = true;
  CHECK(p.amplification_budget() == SIZE_MAX);
}

TEST_CASE("path_state: owed PATH_RESPONSEs are bounded and those for another address are told apart") {
  path_state p;
  p.peer = first;
  CHECK_FALSE(p.response_elsewhere_pending());
  p.queue_response(data_of(1), second);
  CHECK(p.response_elsewhere_pending());
  for (std::uint8_t i = 0; i < 10; ++i) p.queue_response(data_of(i), first);
  CHECK(p.responses.size() == path_state::max_pending_responses);
  p.responses.pop_front();
  CHECK_FALSE(p.response_elsewhere_pending());
}

TEST_CASE("path_state: a validation switches to the new address, completes on the right response from it") {
  path_state p;
  p.peer = first;
  p.validated = true;
  p.bytes_received = 5000;
  p.bytes_sent = 9000;
  const time_point deadline = time_point{} + std::chrono::seconds(1);
  p.begin_validation(second, data_of(7), deadline);
  CHECK(p.peer == second);
  CHECK_FALSE(p.validated);
  CHECK(p.bytes_received == 0);
  CHECK(p.bytes_sent == 0);
  CHECK(p.validation.active);
  CHECK(p.validation.challenge_pending);
  CHECK(p.validation.deadline == deadline);
  CHECK_FALSE(p.on_response(data_of(8), second)); // wrong data
  CHECK(p.validation.active);
  CHECK(p.on_response(data_of(7), second));
  CHECK_FALSE(p.validation.active);
  CHECK(p.validated);
  CHECK_FALSE(p.on_response(data_of(7), second)); // only once
}

TEST_CASE("path_state: an unanswered validation falls back to the first path, however many followed") {
  path_state p;
  p.peer = first;
  p.validated = true;
  p.begin_validation(second, data_of(1), time_point{});
  p.begin_validation(address::ipv4({10, 0, 0, 10}, 1), data_of(2), time_point{});
  p.abandon_validation();
  CHECK(p.peer == first);
  CHECK(p.validated);
  CHECK_FALSE(p.validation.active);
  CHECK_FALSE(p.validation.challenge_pending);
}

} // namespace tern::core
