#pragma once

#include "congestion/rate_sample.hpp"

#include <tern/time.hpp>

#include <cstdint>

namespace tern::cc {

/// Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation): per
/// ACK, how fast the path delivered data over the interval that the most
/// recently acknowledged packet spans. The sender calls on_packet_sent for each
/// in-flight packet and stores the returned state with it; for each ACK it
/// calls on_packet_acked per newly acknowledged packet, then take_sample once.
class delivery_rate_sampler {
public:
  /// Records a send. `prior_in_flight` is the bytes in flight before this
  /// packet, `bytes` its size. Returns what to store with the packet.
  packet_send_state on_packet_sent(time_point now, std::uint64_t prior_in_flight,
                                   std::uint64_t bytes) noexcept;

  /// A packet sent with `state` at `sent_time`, `bytes` long, was acknowledged.
  void on_packet_acked(const packet_send_state& state, time_point sent_time, std::uint64_t bytes,
                       time_point now) noexcept;

  /// `bytes` were declared lost.
  void on_packet_lost(std::uint64_t bytes) noexcept { lost_ += bytes; }

  /// The sender has nothing to send and the window is open: samples taken
  /// until everything now in flight is delivered are marked app-limited.
  void on_app_limited(std::uint64_t bytes_in_flight) noexcept;

  /// Builds the sample for the packets acknowledged since the last call and
  /// resets for the next ACK. A sample whose interval is shorter than
  /// `min_rtt` is not valid (ACK compression would inflate it).
  rate_sample take_sample(duration min_rtt) noexcept;

  /// Total bytes acknowledged so far.
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
  /// Total bytes declared lost so far.
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }
  [[nodiscard]] bool app_limited() const noexcept { return app_limited_until_ != 0; }

private:
  std::uint64_t delivered_ = 0;
  std::uint64_t lost_ = 0;
  time_point delivered_time_{};
  time_point first_sent_time_{};
  /// Nonzero: the delivered count at which the app-limited phase ends.
  std::uint64_t app_limited_until_ = 0;

  // The sample being built for the current ACK.
  rate_sample pending_{};
  std::uint64_t pending_prior_lost_ = 0;
  time_point pending_prior_time_{};
  time_point pending_sent_time_{};
  duration pending_send_elapsed_{0};
  duration pending_ack_elapsed_{0};
};

} // namespace tern::cc
