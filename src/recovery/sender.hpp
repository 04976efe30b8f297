#pragma once

#include "congestion/controller.hpp"
#include "congestion/delay_bound.hpp"
#include "congestion/delivery_rate_sampler.hpp"
#include "congestion/drain_guard.hpp"
#include "congestion/pacer.hpp"
#include "congestion/target_rate.hpp"
#include "recovery/ack_ranges.hpp"
#include "recovery/loss_detector.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tern::recovery {

struct sender_config {
  cc::algorithm algorithm = cc::algorithm::bbr;
  /// Controller settings; max_datagram_size also sizes the pacer's quantum.
  cc::controller_config controller{};
  rtt_config rtt{};
  loss_config loss{};
  cc::pacer_config pacer{};
  /// How the target rate for media encoders is derived (target_rate.hpp).
  cc::target_rate_config target_rate{};
  /// Real-time mode: the controller is wrapped in cc::delay_bound, so
  /// queueing delay counts as congestion.
  bool real_time = false;
  cc::delay_bound_config delay_bound{};
  /// After the target rate's fast cut, hold all but datagrams in the sender
  /// until the queue has drained (cc::drain_guard).
  bool drain_guard = true;
  /// Pace in-flight packets at the controller's rate.
  bool pacing = true;
};

/// What keeps the sender from sending a packet now.
enum class send_limit : std::uint8_t {
  none,              ///< may send now
  congestion_window, ///< the packet would not fit in the congestion window
  packet_window,     ///< 2^15 packets unacknowledged; the congestion window had room
  pacing,            ///< the pacer releases it later (send_permission::release)
  application,       ///< the sender said it has nothing to send
};
inline constexpr std::size_t send_limit_count = 5;
std::string_view to_string(send_limit l) noexcept;

struct send_permission {
  send_limit limit = send_limit::none;
  /// With limit pacing: when the packet may go.
  time_point release{};
  [[nodiscard]] bool allowed() const noexcept { return limit == send_limit::none; }
};

/// A packet about to be recorded as sent.
struct outgoing_packet {
  std::uint64_t bytes = 0;
  bool ack_eliciting = true;
  bool in_flight = true;
  std::uint64_t cookie = 0;
  std::uint64_t carried_ack_largest = no_packet;
};

struct sender_stats {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_acked = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t bytes_lost = 0;
  std::uint64_t spurious_losses = 0;
  /// Packets the peer rebuilt from forward error correction, told to the
  /// controller as losses (on_repaired_losses); not in packets_lost.
  std::uint64_t repaired_losses = 0;
  /// Packets forgotten without a loss (discard()): not path losses.
  std::uint64_t packets_discarded = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t probe_timeouts = 0;
  std::uint64_t persistent_congestion = 0;
  /// Per send_limit: how often the sender became limited by it, and for how
  /// long in total (time between the first refusal and the next send).
  std::array<std::uint64_t, send_limit_count> limited_events{};
  std::array<duration, send_limit_count> limited_time{};
  /// The most recent refusal was the packet window (2^15), not the cwnd.
  bool packet_window_limited = false;
};

/// The sending half of recovery for one path: assigns packet numbers,
/// records sent packets, processes ACKs and timers through the loss
/// detector, feeds the delivery-rate sampler and the congestion controller,
/// and paces. It answers "may I send a packet now, and if not, why and
/// until when". Encoding-free: packets are numbers, sizes and cookies.
class sender {
public:
  /// `rng` must outlive the sender.
  sender(const sender_config& config, random_source& rng);

  /// Whether a packet of `bytes` (in flight) may be sent at `now`. Owed
  /// probes bypass the congestion window and the pacer; nothing bypasses the
  /// packet window. Updates the limit statistics.
  send_permission can_send(std::uint64_t bytes, time_point now);

  /// The number the next packet will carry.
  [[nodiscard]] std::uint64_t next_packet_number() const noexcept { return next_packet_number_; }

  /// Records packet next_packet_number() as sent at `now`; returns its number.
  std::uint64_t on_packet_sent(const outgoing_packet& packet, time_point now);

  /// Processes an ACK. On error (malformed, or acknowledging a number never
  /// sent) nothing changed and outcome.error says why.
  const ack_outcome& on_ack_received(const ack_info& ack, time_point now);

  /// Forgets packet `pn` without a congestion event: it leaves bytes in
  /// flight, and neither the controller, the delivery-rate sampler nor the
  /// target-rate estimator hears of it (RFC 9002 §6.4; tern's client calls
  /// it for the 0-RTT packets of a rejected early-data flight, which the
  /// server dropped unopened, not the path). Returns the bytes released
  /// (loss_detector::discard).
  std::uint64_t discard(std::uint64_t pn) noexcept;

  /// When on_timeout must run (loss timer or PTO); never when idle.
  [[nodiscard]] time_point next_timeout() const noexcept { return detector_.timer(); }
  const timeout_outcome& on_timeout(time_point now);

  /// loss_detector::release_idle_memory(): frees the loss detector's outcome
  /// buffers when nothing sent is held.
  void release_idle_memory() noexcept { detector_.release_idle_memory(); }

  /// Probe packets owed after a PTO; each ack-eliciting packet sent pays one.
  [[nodiscard]] std::uint32_t probes_owed() const noexcept { return probes_owed_; }

  /// The peer rebuilt `packets` of this side's packets (`bytes` in all)
  /// from repair (docs/fec.md, "Congestion control"): the path lost them,
  /// so the controller gets a loss event, but nothing is retransmitted and
  /// nothing leaves the flight (they were acknowledged). Their send time is
  /// not known packet by packet: taken as one smoothed RTT before `now`,
  /// the earliest their rebuild's report could arrive.
  void on_repaired_losses(std::uint64_t packets, std::uint64_t bytes, time_point now);

  /// The application has nothing more to send right now.
  void on_app_limited(time_point now);
  /// The connection's handshake is confirmed (cc::controller::on_handshake_confirmed).
  void on_handshake_confirmed(time_point now);

  [[nodiscard]] const sender_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const rtt_estimator& rtt() const noexcept { return detector_.rtt(); }
  [[nodiscard]] const loss_detector& detector() const noexcept { return detector_; }
  [[nodiscard]] const cc::controller& controller() const noexcept { return *controller_; }
  /// The controller's initial window, bytes.
  [[nodiscard]] std::uint64_t initial_window() const noexcept { return config_.controller.initial_window(); }
  [[nodiscard]] const cc::pacer& pacer() const noexcept { return pacer_; }
  [[nodiscard]] std::uint64_t bytes_in_flight() const noexcept { return detector_.bytes_in_flight(); }
  [[nodiscard]] std::uint64_t congestion_window() const noexcept { return controller_->congestion_window(); }
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept { return controller_->pacing_rate(); }
  /// Bytes per second: the controller's bandwidth estimate
  /// (cc::controller::bandwidth_estimate), 0 before it has one.
  [[nodiscard]] std::uint64_t bandwidth_estimate() const noexcept { return controller_->bandwidth_estimate(); }
  /// Bytes per second a media encoder may produce without building a queue
  /// (cc::target_rate_estimator), 0 before the first ACK.
  [[nodiscard]] const cc::target_rate_estimator& target_rate() const noexcept { return target_rate_; }
  /// A packet of `bytes` carrying more than datagrams must wait: the queue
  /// a fast cut of the target rate answers is draining (cc::drain_guard).
  /// Probes owed after a PTO are never held.
  [[nodiscard]] bool drain_guard_holds(std::uint64_t bytes) const noexcept {
    return probes_owed_ == 0 && drain_guard_.holds(detector_.bytes_in_flight(), bytes);
  }
  [[nodiscard]] const cc::drain_guard& drain_guard() const noexcept { return drain_guard_; }

private:
  void note_limit(send_limit limit, time_point now) noexcept;
  void report_losses(std::span<const sent_packet> lost, std::uint64_t bytes_lost,
                     std::uint64_t prior_in_flight, bool persistent, time_point now);
  void update_pacer(time_point now) noexcept;

  sender_config config_;
  loss_detector detector_;
  cc::delivery_rate_sampler sampler_;
  std::unique_ptr<cc::controller> controller_;
  cc::pacer pacer_;
  cc::target_rate_estimator target_rate_;
  cc::drain_guard drain_guard_;
  std::uint64_t next_packet_number_ = 0;
  std::uint32_t probes_owed_ = 0;
  std::uint64_t ecn_ce_seen_ = 0;

  sender_stats stats_{};
  send_limit current_limit_ = send_limit::none;
  time_point limited_since_{};
};

} // namespace tern::recovery
