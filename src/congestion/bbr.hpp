#pragma once

#include "congestion/controller.hpp"
#include "congestion/windowed_filter.hpp"

#include <array>
#include <cstdint>

namespace tern::cc {

/// Tunables of the BBR model. The defaults are the published constants.
struct bbr_config {
  /// Startup pacing gain, 4·ln 2: the least that still doubles the delivery
  /// rate every round trip.
  double startup_pacing_gain = 2.77;
  /// Startup cwnd gain: room for the doubling without a deeper queue.
  double startup_cwnd_gain = 2.0;
  /// Drain pacing gain: the inverse of the Startup cwnd gain, to empty in
  /// about one round trip the queue Startup may have built.
  double drain_pacing_gain = 0.5;
  /// cwnd gain in ProbeBW.
  double cwnd_gain = 2.0;
  /// ProbeBW pacing gains, one phase per min RTT.
  std::array<double, 8> probe_bw_gains{1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  /// The bandwidth estimate is the maximum delivery rate over this many
  /// round trips.
  std::uint64_t bandwidth_window_rounds = 10;
  /// The min RTT estimate expires after this long; ProbeRTT then refreshes it.
  duration min_rtt_window = std::chrono::seconds(10);
  /// Time spent at the minimal window in ProbeRTT (at least one round trip).
  duration probe_rtt_duration = std::chrono::milliseconds(200);
  /// The window floor, in datagrams (ProbeRTT's window).
  std::uint64_t min_pipe_cwnd_packets = 4;
  /// The pipe is full after this many round trips in which the bandwidth
  /// estimate grew by less than full_bandwidth_growth.
  std::uint64_t full_bandwidth_rounds = 3;
  double full_bandwidth_growth = 1.25;
  /// Pacing runs this fraction below the estimate, so an estimate that is
  /// exact does not build a queue.
  double pacing_margin = 0.01;
  /// Startup also ends after a round trip whose loss rate exceeds
  /// startup_loss_threshold with at least startup_loss_events separate
  /// losses: the queue overflowed before the bandwidth estimate stopped
  /// growing. Overflow while sending at twice the bottleneck rate loses
  /// about half a round's data, so 20% separates it from random loss of a
  /// few percent, which must not end Startup (BBRv2's 2% does: at 1% random
  /// loss a round of a few hundred packets crosses it every few runs).
  double startup_loss_threshold = 0.2;
  std::uint64_t startup_loss_events = 8;
  /// Packet conservation for the first round trip of a recovery period
  /// outside Startup (cwnd = in flight + newly acknowledged). Off by default:
  /// under random loss every round trip holds a loss, and conservation would
  /// then stop each ProbeBW up-phase from probing.
  bool packet_conservation = false;
  /// Startup: the window is at least startup_cwnd_gain × the estimated BDP
  /// (not only the previous window plus the acknowledged bytes), so it does
  /// not cap the growth at a doubling per round trip, and the first pacing
  /// rate is based on the window grown on the first ACK. Off by default:
  /// it lifts 100 Mbit/s, 200 ms, 1% loss from 79.6% to 83.3% of the link,
  /// but a second flow joining a busy link then takes a share that ProbeBW
  /// does not even out within 40 s at some seeds (Jain 0.938; see
  /// docs/congestion.md).
  bool startup_window_follows_model = false;
};

/// BBR congestion control: a model-based controller that estimates the
/// bottleneck bandwidth (windowed maximum of delivery-rate samples) and the
/// round-trip propagation time (windowed minimum RTT), paces at gain × bandwidth
/// and caps in-flight data at gain × their product (the BDP). States: Startup
/// (exponential search for the bandwidth), Drain (empty the queue Startup
/// built), ProbeBW (cycle gains 1.25, 0.75, 1 × 6 to probe for more bandwidth
/// and drain what a probe queued) and ProbeRTT (drop to four packets every
/// 10 s without a new min RTT, to measure it again). Random loss does not
/// change the model; see docs/congestion.md for the loss responses.
class bbr final : public controller {
public:
  enum class mode : std::uint8_t { startup, drain, probe_bw, probe_rtt };

  bbr(const controller_config& config, const bbr_config& tuning, random_source& rng) noexcept;
  bbr(const controller_config& config, random_source& rng) noexcept : bbr{config, bbr_config{}, rng} {}

  void on_packet_sent(const packet_sent_event& e) override;
  void on_ack(const ack_event& e) override;
  void on_loss(const loss_event& e) override;

  [[nodiscard]] std::uint64_t congestion_window() const noexcept override { return cwnd_; }
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept override { return pacing_rate_; }
  [[nodiscard]] std::string_view state_name() const noexcept override;
  [[nodiscard]] algorithm kind() const noexcept override { return algorithm::bbr; }

  [[nodiscard]] mode current_mode() const noexcept { return mode_; }
  /// Bottleneck bandwidth estimate, bytes per second (0 before any sample).
  [[nodiscard]] std::uint64_t max_bandwidth() const noexcept { return max_bw_.best(); }
  /// Min RTT estimate (zero before any sample).
  [[nodiscard]] duration min_rtt() const noexcept { return min_rtt_; }
  [[nodiscard]] double pacing_gain() const noexcept { return pacing_gain_; }
  [[nodiscard]] double cwnd_gain() const noexcept { return cwnd_gain_; }
  [[nodiscard]] std::uint64_t round_count() const noexcept { return round_count_; }
  [[nodiscard]] bool filled_pipe() const noexcept { return filled_pipe_; }
  [[nodiscard]] std::size_t cycle_index() const noexcept { return cycle_index_; }
  [[nodiscard]] bool in_recovery() const noexcept { return in_recovery_; }
  /// gain × bandwidth × min RTT in bytes; the initial window before a model.
  [[nodiscard]] std::uint64_t bdp(double gain) const noexcept;

private:
  // bbr.cpp: the model, pacing and window.
  void update_round(const ack_event& e);
  void update_max_bandwidth(const ack_event& e);
  void update_min_rtt(const ack_event& e);
  void update_recovery(const ack_event& e);
  void set_pacing_rate(double gain);
  void set_cwnd(const ack_event& e);
  [[nodiscard]] std::uint64_t send_quantum() const noexcept;
  [[nodiscard]] std::uint64_t target_inflight(double gain) const noexcept;
  [[nodiscard]] std::uint64_t min_pipe_cwnd() const noexcept;
  void save_cwnd() noexcept;
  void restore_cwnd() noexcept;

  // bbr_startup.cpp: Startup and Drain.
  void enter_startup();
  void check_full_pipe(const ack_event& e);
  void check_startup_high_loss();
  void enter_drain();
  void check_drain(const ack_event& e);

  // bbr_probe_bw.cpp: gain cycling.
  void enter_probe_bw(time_point now);
  void check_cycle_phase(const ack_event& e);
  void advance_cycle_phase(time_point now);

  // bbr_probe_rtt.cpp: ProbeRTT.
  void check_probe_rtt(const ack_event& e);
  void handle_probe_rtt(const ack_event& e);
  void exit_probe_rtt(time_point now);

  controller_config config_;
  bbr_config tuning_;
  random_source& rng_;

  mode mode_ = mode::startup;
  double pacing_gain_;
  double cwnd_gain_;
  std::uint64_t cwnd_;
  std::uint64_t prior_cwnd_ = 0;
  std::uint64_t pacing_rate_;
  bool pacing_rate_from_rtt_ = false;

  // The model.
  max_filter<std::uint64_t> max_bw_;
  duration min_rtt_{0};
  time_point min_rtt_stamp_{};
  bool has_min_rtt_ = false;
  bool min_rtt_expired_ = false;

  // Round-trip counting on delivered bytes.
  std::uint64_t round_count_ = 0;
  std::uint64_t next_round_delivered_ = 0;
  bool round_start_ = false;

  // Startup: full pipe detection and loss accounting per round.
  bool filled_pipe_ = false;
  std::uint64_t full_bw_ = 0;
  std::uint64_t full_bw_count_ = 0;
  std::uint64_t round_lost_bytes_ = 0;
  std::uint64_t round_loss_events_ = 0;
  std::uint64_t round_delivered_start_ = 0;
  std::uint64_t round_delivered_ = 0;

  // ProbeBW.
  std::size_t cycle_index_ = 0;
  time_point cycle_stamp_{};
  bool lost_in_phase_ = false;

  // ProbeRTT.
  time_point probe_rtt_done_stamp_{};
  bool probe_rtt_done_stamp_set_ = false;
  bool probe_rtt_round_done_ = false;
  bool idle_restart_ = false;
  /// Samples of packets sent before delivered passed this are app-limited.
  std::uint64_t probe_rtt_app_limited_until_ = 0;

  // Recovery: the period a loss opens, as in RFC 9002 §7.3.2.
  bool in_recovery_ = false;
  time_point recovery_start_{};
  bool conservation_ = false;
  std::uint64_t conservation_end_delivered_ = 0;
  std::uint64_t delivered_ = 0;
};

} // namespace tern::cc
