#pragma once

#include <tern/time.hpp>

#include <chrono>
#include <cstdint>

namespace tern::stun {

struct answer_limit {
  /// Binding answers per second, sustained. A 20-byte request gets a 48-56
  /// byte answer to whatever source address it claims, so an endpoint that
  /// answers is a small reflector; the rate caps what a spoofed flood can
  /// aim at a victim through it. Zero: no answers at all.
  std::uint32_t per_second = 50;
  /// Answers allowed back to back after a quiet spell (the bucket's size).
  std::uint32_t burst = 20;
};

/// A token bucket over virtual time: each answer takes a token; tokens come
/// back at `per_second` up to `burst`. O(1) per request, whatever the flood.
class answer_limiter {
public:
  explicit answer_limiter(answer_limit limit) noexcept;
  /// Whether an answer may go out at `now`; takes its token if so. Times
  /// that go backwards refill nothing.
  bool allow(time_point now) noexcept;

private:
  answer_limit limit_;
  /// The bucket as time banked rather than fractional tokens (no floating
  /// point): an answer costs one period (1 s / per_second), and at most
  /// `burst` periods are banked.
  duration credit_;
  duration period_;
  time_point last_{};
  bool started_ = false;
};

} // namespace tern::stun
