#pragma once

// The endpoint's one timer, on a timerfd of its own where Linux has one.
//
// An asio::steady_timer shares the reactor's timerfd, and the reactor
// reprograms that timerfd (a timerfd_settime) every time a wait is started
// on a new earliest timer and again every time one fires. A pacing sender
// wakes thousands of times a second, so that is two timerfd_settime calls per
// wakeup, and in a virtual machine programming the CPU's timer is costly
// (a trap to the hypervisor, most likely): on this project's 2-vCPU VM about
// 12 us of wall time each, and `_raw_spin_unlock_irq` under `do_timerfd_settime` was 7 % of
// all CPU samples of the loopback benchmark. A one-shot timerfd waited on as
// a descriptor costs one timerfd_settime per arm and nothing when it fires.
//
// Elsewhere (or when timerfd_create fails) it falls back to a steady_timer.

#include <tern/time.hpp>

#include <asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace tern::io {

class wakeup_timer {
public:
  /// `allow_timerfd` false forces the steady_timer fallback (for tests).
  explicit wakeup_timer(const asio::any_io_executor& ex, bool allow_timerfd = true);
  ~wakeup_timer();
  wakeup_timer(const wakeup_timer&) = delete;
  wakeup_timer& operator=(const wakeup_timer&) = delete;

  /// Calls `on_expiry` once, on the executor, at or after `deadline`
  /// (tern::clock, which is steady_clock). Replaces the deadline and the
  /// callback of an earlier arm that has not fired yet. The callback may arm
  /// the timer again. `never` cancels.
  void arm(time_point deadline, std::function<void()> on_expiry);

  /// Forgets the pending callback, if any: it is destroyed without being
  /// called. The timer may be armed again afterwards.
  void cancel() noexcept;

  /// Whether this timer has a timerfd of its own (false: the steady_timer
  /// fallback).
  bool uses_timerfd() const noexcept;

  struct state; // wakeup_timer.cpp; shared with the queued wait's handler

private:
  std::shared_ptr<state> state_;
};

} // namespace tern::io
