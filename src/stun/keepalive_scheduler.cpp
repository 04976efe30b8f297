#include "stun/keepalive_scheduler.hpp"

#include <algorithm>

namespace tern::stun {

namespace {

constexpr duration min_wait = std::chrono::seconds{15};
constexpr duration max_wait = std::chrono::seconds{30};

} // namespace

keepalive_scheduler::keepalive_scheduler(random_source& rng, const keepalive_options& options) noexcept
    : rng_(rng), interval_(std::clamp(options.interval, min_wait, max_wait)),
      jitter_(
          std::clamp(options.jitter, duration::zero(), std::min(interval_ - min_wait, max_wait - interval_))),
      inbound_refreshes_(options.inbound_refreshes) {}

duration keepalive_scheduler::draw() noexcept {
  const auto span = static_cast<std::uint64_t>(2 * jitter_.count() + 1);
  return interval_ - jitter_ + duration{static_cast<duration::rep>(rng_.uniform(span))};
}

void keepalive_scheduler::start(time_point now) noexcept {
  running_ = true;
  last_activity_ = now;
  wait_ = draw();
}

void keepalive_scheduler::stop() noexcept { running_ = false; }

void keepalive_scheduler::on_traffic_sent(time_point now) noexcept {
  if (now > last_activity_) last_activity_ = now;
}

void keepalive_scheduler::on_traffic_received(time_point now) noexcept {
  if (inbound_refreshes_) on_traffic_sent(now);
}

bool keepalive_scheduler::on_timeout(time_point now) noexcept {
  if (!running_ || now < next_timeout()) return false;
  last_activity_ = now;
  wait_ = draw();
  return true;
}

std::span<const std::byte> write_binding_indication(std::span<std::byte> out,
                                                    const transaction_id& id) noexcept {
  message_writer w{out, method::binding, message_class::indication, id};
  w.add_fingerprint();
  return w.bytes();
}

} // namespace tern::stun
