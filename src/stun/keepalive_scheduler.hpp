#pragma once

#include "stun/message.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <chrono>
#include <cstddef>
#include <span>

namespace tern::stun {

struct keepalive_options {
  /// Mean time between Binding Indications on an idle path. Clamped to
  /// 15-30 s: below 15 s wastes traffic, and UDP NAT mappings may expire
  /// after as little as 30 s of silence (RFC 4787 REQ-5 asks for at least
  /// 2 min, but many NATs use less).
  duration interval = std::chrono::seconds{25};
  /// Each wait is drawn uniformly from [interval - jitter, interval +
  /// jitter], so peers behind one NAT do not fall into lockstep. Clamped so
  /// the wait stays within 15-30 s.
  duration jitter = std::chrono::seconds{5};
  /// Whether received traffic also counts as activity. Off by default: a
  /// NAT refreshes a mapping on outbound packets (RFC 4787 REQ-6); inbound
  /// refresh is optional behaviour that a keepalive cannot rely on.
  bool inbound_refreshes = false;
};

/// Decides when a NAT keepalive (a STUN Binding Indication) is due, sans-IO.
/// The deadline is "last outbound activity + a jittered interval": while
/// traffic flows the deadline keeps moving and no indication is sent; once
/// the path has been idle for the interval one goes out, then one per
/// interval until traffic resumes. Recording traffic is O(1) with no
/// randomness, so it can sit on the per-packet path; the jitter is drawn
/// once per indication.
class keepalive_scheduler {
public:
  /// `rng` must outlive the scheduler. Starts stopped.
  keepalive_scheduler(random_source& rng, const keepalive_options& options = {}) noexcept;

  /// Starts (or restarts) keeping the mapping alive; the first indication is
  /// due one interval after `now` unless traffic intervenes.
  void start(time_point now) noexcept;
  /// Stops: no more indications until start().
  void stop() noexcept;
  bool running() const noexcept { return running_; }

  /// A datagram went out (to the peer or server whose mapping this keeps).
  void on_traffic_sent(time_point now) noexcept;
  /// A datagram arrived; counts only with inbound_refreshes.
  void on_traffic_received(time_point now) noexcept;

  /// When the next indication is due; tern::never while stopped.
  time_point next_timeout() const noexcept { return running_ ? last_activity_ + wait_ : never; }

  /// Returns true if an indication is due at `now`. The caller sends one;
  /// the scheduler counts it as outbound traffic and draws the next wait.
  bool on_timeout(time_point now) noexcept;

  /// The clamped settings in effect.
  duration interval() const noexcept { return interval_; }
  duration jitter() const noexcept { return jitter_; }
  /// The wait drawn for the current idle period.
  duration current_wait() const noexcept { return wait_; }

private:
  duration draw() noexcept;

  random_source& rng_;
  duration interval_;
  duration jitter_;
  bool inbound_refreshes_;
  bool running_ = false;
  time_point last_activity_{};
  duration wait_{};
};

/// Writes a Binding Indication (RFC 8489 §6.2: no response expected) with
/// FINGERPRINT into `out`, for use as a keepalive. Returns the datagram, or
/// an empty span if `out` is smaller than 28 bytes.
std::span<const std::byte> write_binding_indication(std::span<std::byte> out,
                                                    const transaction_id& id) noexcept;

} // namespace tern::stun
