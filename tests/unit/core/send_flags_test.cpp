// core::send_flags (src/core/send_flags.hpp): flags are independent, and
// take() clears exactly one.

#include "core/send_flags.hpp"

#include <doctest/doctest.h>

namespace tern::core {

TEST_CASE("send_flags: set, clear, assign and take act on one flag only") {
  send_flags f;
  CHECK_FALSE(f.has(send_flag::ping));
  f.set(send_flag::ping);
  f.set(send_flag::close_frame);
  CHECK(f.has(send_flag::ping));
  CHECK(f.has(send_flag::close_frame));
  CHECK_FALSE(f.has(send_flag::new_token));
  CHECK(f.take(send_flag::ping));
  CHECK_FALSE(f.take(send_flag::ping));
  CHECK(f.has(send_flag::close_frame));
  f.assign(send_flag::new_token, true);
  f.assign(send_flag::close_frame, false);
  CHECK(f.has(send_flag::new_token));
  CHECK_FALSE(f.has(send_flag::close_frame));
  f.clear(send_flag::stream_control); // clearing an unset flag is harmless
  CHECK(f.has(send_flag::new_token));
}

} // namespace tern::core
