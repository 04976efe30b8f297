// Flow control (RFC 9000 §4) with receive-window auto-tuning.
//
// Why auto-tune: a fixed window W caps throughput at W / RTT. A 100 Mbit/s,
// 200 ms path holds 2.5 MB in flight, and after a loss the receiver also
// holds everything that arrives above the hole until the retransmission
// fills it (one to two RTTs): the window needs a few BDPs, which is wasteful
// to give every stream up front. The window therefore starts small and
// doubles at an update when either
//  - the application drained a quarter window in under one RTT (measured
//    between consecutive updates): the window, not the reader, is the
//    bottleneck; or
//  - the reader had read everything in order and the update still came
//    less than four RTTs after the previous one: what delayed it was loss
//    recovery (a hole at the read offset), not the reader, and a stalled
//    reader is exactly when a small window starves the path.
// Each such update doubles the window once per quarter window consumed
// since the previous one (at most three times): one doubling for an update
// that came due on time, and the doublings a hole held back when the data
// above it became readable at once.
// A reader slower than window / (4 * RTT) that always leaves data unread
// never triggers growth, so memory stays bounded by what the application
// keeps up with, and always by window_config::max.
//
// Updates are sent once a quarter of the window is consumed rather than
// half: credit reaches the peer in smaller, earlier steps, so a growing
// window is never behind the sender's slow start by a whole update.
#include "stream/flow_control.hpp"

#include "stream/stream_errc.hpp"
#include "util/assert.hpp"

#include <algorithm>

namespace tern::stream {


bool send_credit::on_max(std::uint64_t new_limit) noexcept {
  if (new_limit <= limit_) return false;
  limit_ = new_limit;
  blocked_pending_ = false;
  return true;
}

void send_credit::consume(std::uint64_t n) noexcept {
  TERN_ASSERT(n <= available());
  used_ += n;
}

void send_credit::on_blocked() noexcept {
  if (used_ < limit_ || blocked_reported_at_ == limit_) return;
  blocked_pending_ = true;
}

std::optional<std::uint64_t> send_credit::poll_blocked() noexcept {
  if (!blocked_pending_) return std::nullopt;
  blocked_pending_ = false;
  blocked_reported_at_ = limit_;
  return limit_;
}

void send_credit::on_blocked_lost(std::uint64_t reported_limit) noexcept {
  if (reported_limit == limit_ && used_ >= limit_) blocked_pending_ = true;
}

recv_window::recv_window(window_config cfg) noexcept : cfg_{cfg} {
  // The peer may use the initial limit whatever we configure.
  cfg_.max = std::max(cfg_.max, cfg_.initial);
  window_ = std::min(std::max(cfg_.initial, cfg_.granted), cfg_.max);
  limit_ = cfg_.initial;
}

std::error_code recv_window::on_received(std::uint64_t new_highest) noexcept {
  if (new_highest > limit_) return stream_errc::flow_control_error;
  received_ = std::max(received_, new_highest);
  return {};
}

void recv_window::on_consumed(std::uint64_t n) noexcept {
  TERN_ASSERT(consumed_ + n <= received_);
  consumed_ += n;
}

bool recv_window::update_due() const noexcept {
  if (updates_stopped_) return false;
  return limit_ - consumed_ <= window_ - window_ / 4;
}

bool recv_window::hole_growth_due(bool reader_caught_up) const noexcept {
  return reader_caught_up && !reader_lagged_ && !updates_stopped_ && window_ < cfg_.max &&
         received_ - consumed_ > window_ / 2;
}

std::optional<std::uint64_t> recv_window::poll_update(time_point now, duration rtt, bool reader_caught_up) noexcept {
  if (!reader_caught_up) reader_lagged_ = true;
  // The reader has read everything up to a hole and kept up all along, yet
  // more than half the window is data held above the hole: it arrives
  // faster than the window allows while the retransmission comes, and
  // waiting for the hole to fill would stall the peer for that round trip.
  // The window doubles now (once: afterwards the data held is at most half
  // of it). Consumption has not moved, so the rules below do not apply.
  const bool hole_growth = hole_growth_due(reader_caught_up);
  if (hole_growth) window_ = std::min(window_ * 2, cfg_.max);
  if (!update_due()) {
    if (!repeat_pending_ || updates_stopped_) return std::nullopt;
    repeat_pending_ = false;
    return limit_;
  }
  if (!hole_growth && last_update_ != time_point::min() && rtt > duration::zero()) {
    const duration since = now - last_update_;
    if (since < rtt || (reader_caught_up && since < 4 * rtt)) {
      // One doubling per quarter window drained since the last update: an
      // update is due every quarter, so this is one doubling per update
      // when they come as due, and the doublings a hole held back (the
      // data above it became readable all at once) when they did not.
      const std::uint64_t quarters = std::max<std::uint64_t>((consumed_ - consumed_at_update_) / (window_ / 4), 1);
      for (std::uint64_t i = 0; i < std::min<std::uint64_t>(quarters, 3) && window_ < cfg_.max; ++i)
        window_ = std::min(window_ * 2, cfg_.max);
    }
  }
  last_update_ = now;
  consumed_at_update_ = consumed_;
  reader_lagged_ = false;
  limit_ = consumed_ + window_;
  repeat_pending_ = false;
  return limit_;
}

void recv_window::on_update_lost(std::uint64_t value) noexcept {
  if (value == limit_ && !updates_stopped_) repeat_pending_ = true;
}

void recv_window::ensure_window(std::uint64_t bytes) noexcept {
  window_ = std::max(window_, std::min(bytes, cfg_.max));
}

} // namespace tern::stream
