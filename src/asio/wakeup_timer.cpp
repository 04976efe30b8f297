// wakeup_timer: one deadline, one timerfd (see the header for why).
//
// The timerfd is one-shot and absolute on CLOCK_MONOTONIC, the clock of
// steady_clock and so of tern::clock. Asio registers descriptors
// edge-triggered and hands a readiness edge only to a wait already queued,
// so an expiry must never happen while no wait is queued, or it is lost:
// arm() queues the wait before it programs the timer, and a wait that
// completes before the deadline (an edge of an earlier setting) queues
// again and then looks at the clock once more, firing itself if the
// deadline passed in between. A wait that completes with nothing to do (the
// callback was cancelled or already fired) just ends; the next arm() queues
// a new one. The expiration count is never read: only edges matter.
//
// cancel() also cancels the queued wait, so a cancelled timer leaves no
// work behind that would keep io_context::run() from returning.

#include "asio/wakeup_timer.hpp"

#include <asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <system_error>

#if defined(__linux__)
#include <asio/posix/stream_descriptor.hpp>

#include <sys/timerfd.h>
#include <unistd.h>
#define TERN_WAKEUP_TIMERFD 1
#else
#define TERN_WAKEUP_TIMERFD 0
#endif

namespace tern::io {

struct wakeup_timer::state {
  explicit state(const asio::any_io_executor& ex) : fallback(ex) {}

  std::function<void()> callback;
  time_point deadline = never;
  bool closed = false;
#if TERN_WAKEUP_TIMERFD
  std::optional<asio::posix::stream_descriptor> fd;
  bool waiting = false;
  std::uint64_t wait_generation = 0; // a completing wait older than this was cancelled
#endif
  asio::steady_timer fallback;
  bool fallback_armed = false;
  std::uint64_t fallback_generation = 0;
};

namespace {

using state_ptr = std::shared_ptr<wakeup_timer::state>;

// Runs the pending callback if its deadline has passed; true if it did or
// there was none to run.
bool fire_if_due(const state_ptr& s) {
  if (!s->callback) return true;
  if (from_steady(std::chrono::steady_clock::now()) < s->deadline) return false;
  auto callback = std::move(s->callback);
  s->callback = nullptr;
  callback();
  return true;
}

#if TERN_WAKEUP_TIMERFD
void wait_on_fd(const state_ptr& s) {
  s->waiting = true;
  s->fd->async_wait(asio::posix::descriptor_base::wait_read,
                    [s, generation = ++s->wait_generation](std::error_code ec) {
                      if (generation != s->wait_generation) return; // cancelled; a newer wait may be queued
                      s->waiting = false;
                      if (ec || s->closed || fire_if_due(s)) return;
                      // An edge of an earlier setting: wait for this one's, unless it passed
                      // while no wait was queued.
                      wait_on_fd(s);
                      (void)fire_if_due(s);
                    });
}

bool program_fd(wakeup_timer::state& s, time_point deadline) noexcept {
  const auto ns = std::max<std::int64_t>(deadline.time_since_epoch().count(), 1); // 0 would disarm
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ::timerfd_settime(s.fd->native_handle(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0;
}
#endif

void arm_fallback(const state_ptr& s, time_point deadline) {
  s->fallback_armed = true;
  s->fallback.expires_at(to_steady(deadline)); // cancels a queued wait
  s->fallback.async_wait([s, generation = ++s->fallback_generation](std::error_code ec) {
    if (ec || s->closed || generation != s->fallback_generation) return;
    s->fallback_armed = false;
    if (!fire_if_due(s)) arm_fallback(s, s->deadline); // not expected: steady_timer shares the clock
  });
}

} // namespace

wakeup_timer::wakeup_timer(const asio::any_io_executor& ex, bool allow_timerfd)
    : state_(std::make_shared<state>(ex)) {
#if TERN_WAKEUP_TIMERFD
  if (!allow_timerfd) return;
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return;
  std::error_code ec;
  state_->fd.emplace(ex);
  state_->fd->assign(fd, ec);
  if (ec) {
    state_->fd.reset();
    ::close(fd);
  }
#endif
}

wakeup_timer::~wakeup_timer() {
  cancel();
  state_->closed = true;
#if TERN_WAKEUP_TIMERFD
  std::error_code ec;
  if (state_->fd) state_->fd->close(ec);
#endif
}

void wakeup_timer::arm(time_point deadline, std::function<void()> on_expiry) {
  if (deadline == never) return cancel();
  state_->callback = std::move(on_expiry);
  state_->deadline = deadline;
#if TERN_WAKEUP_TIMERFD
  if (state_->fd) {
    if (!state_->waiting) wait_on_fd(state_);
    if (program_fd(*state_, deadline)) return;
    // timerfd_settime failed (it should not): this arm uses the fallback.
  }
#endif
  arm_fallback(state_, deadline);
}

void wakeup_timer::cancel() noexcept {
  state_->callback = nullptr;
  state_->deadline = never;
  ++state_->fallback_generation;
  if (state_->fallback_armed) {
    state_->fallback_armed = false;
    try {
      state_->fallback.cancel();
    } catch (...) { // a timer's cancel does not fail in practice; the generation already disowns the wait
    }
  }
#if TERN_WAKEUP_TIMERFD
  std::error_code ec;
  if (state_->fd && state_->waiting) {
    state_->waiting = false;
    ++state_->wait_generation;
    (void)state_->fd->cancel(ec);
  }
#endif
}

bool wakeup_timer::uses_timerfd() const noexcept {
#if TERN_WAKEUP_TIMERFD
  return state_->fd.has_value();
#else
  return false;
#endif
}

} // namespace tern::io
