#pragma once

#include "congestion/ack_aggregation.hpp"
#include "congestion/ack_train.hpp"
#include "congestion/bbr_config.hpp"
#include "congestion/controller.hpp"
#include "congestion/min_rtt_filter.hpp"
#include "congestion/round_rtt_quantile.hpp"
#include "congestion/windowed_filter.hpp"

#include <array>
#include <cstdint>

namespace tern::cc {

/// BBR congestion control: a model-based controller that estimates the
/// bottleneck bandwidth (windowed maximum of delivery-rate samples) and the
/// round-trip propagation time (windowed minimum RTT), paces at gain × bandwidth
/// and caps in-flight data at gain × their product (the BDP). States: Startup
/// (exponential search for the bandwidth), Drain (empty the queue Startup
/// built), ProbeBW (cycle gains 1.25, 0.75, 1 × 6 to probe for more bandwidth
/// and drain what a probe queued) and ProbeRTT (drop to four packets every
/// 10 s without a new min RTT, to measure it again). By default Startup
/// jumps to the rate the initial window's ACK spacing shows after one round
/// trip and checks it (bbr_startup_jump.cpp). Random loss does not
/// change the model; see docs/congestion.md for the loss responses.
class bbr final : public controller {
public:
  enum class mode : std::uint8_t { startup, drain, probe_bw, probe_rtt };
  /// Jump start (bbr_startup_mode::jump): timing the initial window's ACKs,
  /// checking the rate jumped to, or over (also when not jumping at all).
  enum class jump_phase : std::uint8_t { first_flight, checking, done };

  bbr(const controller_config& config, const bbr_config& tuning, random_source& rng) noexcept;
  bbr(const controller_config& config, random_source& rng) noexcept : bbr{config, config.bbr, rng} {}

  void on_packet_sent(const packet_sent_event& e) override;
  void on_ack(const ack_event& e) override;
  void on_loss(const loss_event& e) override;
  void on_spurious_loss(const spurious_loss_event& e) override;
  void on_handshake_confirmed(time_point now) override;

  [[nodiscard]] std::uint64_t congestion_window() const noexcept override { return cwnd_; }
  /// Unpaced while a jump start's first flight leaves as the burst it
  /// measures the path with (bbr_startup_jump.cpp).
  [[nodiscard]] std::uint64_t pacing_rate() const noexcept override {
    return first_flight_unpaced_ ? unlimited_rate : pacing_rate_;
  }
  [[nodiscard]] std::uint64_t bandwidth_estimate() const noexcept override { return max_bandwidth(); }
  [[nodiscard]] std::string_view state_name() const noexcept override;
  [[nodiscard]] algorithm kind() const noexcept override { return algorithm::bbr; }
  [[nodiscard]] bool in_startup() const noexcept override { return mode_ == mode::startup; }

  [[nodiscard]] mode current_mode() const noexcept { return mode_; }
  /// Bottleneck bandwidth estimate, bytes per second (0 before any sample).
  [[nodiscard]] std::uint64_t max_bandwidth() const noexcept { return max_bw_.best(); }
  /// Min RTT estimate (zero before any sample): a minimum two inputs agree
  /// on (min_rtt_filter.hpp); after the first sample the inputs are low
  /// quantiles of round trips' samples (round_rtt_quantile.hpp).
  [[nodiscard]] duration min_rtt() const noexcept { return min_rtt_.estimate(); }
  [[nodiscard]] double pacing_gain() const noexcept { return pacing_gain_; }
  [[nodiscard]] double cwnd_gain() const noexcept { return cwnd_gain_; }
  [[nodiscard]] std::uint64_t round_count() const noexcept { return round_count_; }
  [[nodiscard]] bool filled_pipe() const noexcept { return filled_pipe_; }
  [[nodiscard]] std::size_t cycle_index() const noexcept { return cycle_index_; }
  [[nodiscard]] bool in_recovery() const noexcept { return in_recovery_; }
  /// The bound on the bandwidth that a cruising round trip's loss beyond the
  /// path's random loss set (0: none; bbr_loss_bound.cpp).
  [[nodiscard]] std::uint64_t bandwidth_lo() const noexcept { return bw_lo_; }
  /// What pacing and the window follow: max_bandwidth, or bandwidth_lo when
  /// lower.
  [[nodiscard]] std::uint64_t model_bandwidth() const noexcept;
  /// The path's random loss per round trip (an EWMA over round trips
  /// without excess loss), as a fraction of the bytes sent.
  [[nodiscard]] double round_loss_base() const noexcept { return round_loss_base_; }
  /// The cap on in flight that loss beyond the buffer set (0: none).
  [[nodiscard]] std::uint64_t inflight_hi() const noexcept { return inflight_hi_; }
  [[nodiscard]] jump_phase startup_jump_phase() const noexcept { return jump_phase_; }
  /// The rate Startup jumped to, bytes per second (0: no jump).
  [[nodiscard]] std::uint64_t jump_rate() const noexcept { return jump_rate_; }
  /// extra_acked: the most the ACKs delivered beyond the bandwidth estimate
  /// (ack_aggregation.hpp), bytes.
  [[nodiscard]] std::uint64_t extra_acked() const noexcept { return ack_aggregation_.extra_acked(); }
  /// gain × bandwidth × min RTT in bytes; the initial window before a model.
  [[nodiscard]] std::uint64_t bdp(double gain) const noexcept;

private:
  // bbr.cpp: the model, pacing and window.
  void update_round(const ack_event& e);
  void update_max_bandwidth(const ack_event& e);
  void update_min_rtt(const ack_event& e);
  /// A round trip's low RTT within min_rtt_refresh_tolerance of the confirmed
  /// estimate. Only application-limited rounds may refresh it so: a flow that
  /// fills the window keeps ProbeRTT, which drains the queue it shares with
  /// other flows (4 BBR flows on one bottleneck drop more without it).
  [[nodiscard]] bool shows_no_queue(duration round_low_rtt) const noexcept;
  // bbr_loss.cpp: loss responses and their undo.
  void update_recovery(const ack_event& e);
  void end_recovery() noexcept;
  void check_inflight_too_high(const ack_event& e);
  /// An up-phase ended without overflowing the buffer: raise inflight_hi.
  void raise_inflight_hi() noexcept;
  // bbr.cpp, continued.
  void set_pacing_rate(double gain);
  void set_cwnd(const ack_event& e);
  [[nodiscard]] std::uint64_t send_quantum() const noexcept;
  [[nodiscard]] std::uint64_t target_inflight(double gain) const noexcept;
  [[nodiscard]] std::uint64_t min_pipe_cwnd() const noexcept;
  /// What the window adds for ACKs that come in batches: extra_acked ×
  /// its gain, at most the bandwidth over extra_acked_max_time.
  [[nodiscard]] std::uint64_t aggregation_headroom() const noexcept;
  /// ProbeRTT's window: probe_rtt_cwnd_gain × BDP, at least min_pipe_cwnd.
  [[nodiscard]] std::uint64_t probe_rtt_cwnd() const noexcept;
  void save_cwnd() noexcept; // bbr_loss.cpp
  void restore_cwnd() noexcept;

  // bbr_loss_bound.cpp: the bandwidth bound from excess loss while cruising.
  void track_round_rates(const ack_event& e);
  /// What a round trip lost and delivered, judged a round trip later.
  struct loss_round {
    std::uint64_t round = 0;
    std::uint64_t lost = 0;
    std::uint64_t delivered = 0;
    duration time{0};
    /// Its RTT samples averaged within cruise_queue_tolerance of min RTT.
    bool queue_free = false;
    bool near_probe = false;
    bool probe_bw = false;
  };
  void update_loss_bound(time_point now);
  void judge_loss_round(const loss_round& r);
  /// A loss of the previous round trip proved spurious.
  void give_back_pending_loss(std::uint64_t bytes) noexcept;
  /// A ProbeBW up-phase begins (true) or ends (false).
  void on_probe_phase(bool up) noexcept;

  // bbr_startup.cpp: Startup and Drain.
  void enter_startup();
  void check_full_pipe(const ack_event& e);
  /// Rounds before the handshake was confirmed do not count towards a full
  /// pipe.
  void restart_full_pipe_search();
  void check_startup_high_loss();
  void enter_drain();
  void check_drain(const ack_event& e);

  // bbr_startup_jump.cpp: jump start.
  void on_first_flight_sent(const packet_sent_event& e);
  void update_startup_jump(const ack_event& e);
  void try_jump(const ack_event& e);
  void check_jump(const ack_event& e);
  void finish_jump(std::uint64_t measured);
  /// The jump did not find the pipe full: Startup's own search takes over.
  void end_jump_search();

  // bbr_probe_bw.cpp: gain cycling.
  void enter_probe_bw(time_point now);
  void check_cycle_phase(const ack_event& e);
  void advance_cycle_phase(time_point now);
  /// In flight that ends (and caps) an up-phase: its target, or
  /// inflight_hi if lower, but at least the BDP.
  [[nodiscard]] std::uint64_t probe_up_inflight() const noexcept;
  /// An up-phase with `in_flight` has reached probe_up_inflight (within a
  /// datagram: the window stops the sender short of it).
  [[nodiscard]] bool probe_reached(std::uint64_t in_flight) const noexcept;
  /// What inflight_hi allows outside up-phases: the cap, or one BDP if more.
  [[nodiscard]] std::uint64_t cruise_inflight() const noexcept;

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
  ack_aggregation ack_aggregation_;
  min_rtt_filter min_rtt_;
  /// In-order RTT samples since the filter's last input.
  round_rtt_quantile round_rtts_;
  /// When a sample last confirmed min_rtt_ (or ProbeRTT ended).
  time_point min_rtt_stamp_{};
  bool min_rtt_expired_ = false;
  /// min_rtt_ came from packets that overtook older ones only.
  bool min_rtt_from_overtaking_ = false;

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
  time_point round_start_time_{};

  // Jump start: the initial window (sent before any ACK) and its ACK train,
  // then the train of what was sent at the jump rate.
  jump_phase jump_phase_ = jump_phase::first_flight;
  /// delivered_ when the first flight began: 0, or the handshake's bytes
  /// when on_handshake_confirmed re-armed the jump.
  std::uint64_t first_flight_mark_ = 0;
  bool first_flight_unpaced_ = false;
  std::uint64_t first_flight_sent_ = 0;
  std::uint64_t first_flight_acked_ = 0;
  std::uint64_t first_flight_lost_ = 0;
  time_point first_flight_first_send_{};
  time_point first_flight_last_send_{};
  ack_train first_flight_train_;
  std::uint64_t jump_rate_ = 0;
  /// The jump rate is only a lower bound (capped, or no faster than the
  /// initial window was sent): when confirmed, Startup goes on searching.
  bool jump_is_floor_ = false;
  /// Packets sent once delivered reached this went out at the jump rate.
  std::uint64_t jump_mark_ = 0;
  std::uint64_t jump_round_ = 0;
  ack_train jump_train_;

  // ProbeBW.
  std::size_t cycle_index_ = 0;
  time_point cycle_stamp_{};
  bool lost_in_phase_ = false;
  /// Bytes lost in this phase, less those that proved spurious.
  std::uint64_t phase_lost_bytes_ = 0;
  /// The buffer overflowed in this phase (check_inflight_too_high).
  bool inflight_too_high_in_phase_ = false;

  // inflight_hi: the bound on in flight the last buffer overflow showed.
  std::uint64_t inflight_hi_ = 0;
  /// delivered_ when ProbeBW was first entered: samples whose prior
  /// delivered count is at least this were sent in ProbeBW or later.
  std::uint64_t probe_bw_sent_from_ = UINT64_MAX;
  /// A clean probe raises the cap once delivered reaches this (0: none).
  std::uint64_t inflight_hi_raise_at_ = 0;
  /// Bytes in flight after the ACK being processed.
  std::uint64_t in_flight_ = 0;
  /// Loss rate of flights of at most a BDP (EWMA): the path's random loss.
  double base_loss_rate_ = 0;

  // bw_lo (bbr_loss_bound.cpp).
  std::uint64_t bw_lo_ = 0;
  /// The highest delivery rate since the last up-phase began.
  std::uint64_t probe_max_rate_ = 0;
  /// The round in which a probe last ran, and the one whose start judges
  /// whether it found more bandwidth than bw_lo (0: nothing to judge).
  std::uint64_t last_probe_round_ = 0;
  std::uint64_t probe_verdict_round_ = 0;
  double round_loss_base_ = 0;
  loss_round pending_loss_round_{};
  duration round_rtt_sum_{0};
  std::uint64_t round_rtt_count_ = 0;
  /// The round that set or last lowered bw_lo, and its loss rate: a judged
  /// round as lossy at the lower rate shows random loss, not overflow.
  std::uint64_t bw_lo_round_ = 0;
  double bw_lo_loss_rate_ = 0;
  /// inflight_hi as it was before bw_lo set it (restored if the loss proves random).
  std::uint64_t inflight_hi_before_bw_lo_ = 0;

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
  /// Bytes declared lost in this recovery period, less those that proved
  /// spurious: at zero the period ends.
  std::uint64_t recovery_lost_bytes_ = 0;
  /// What losses took off the window and ACKs have not given back yet (a
  /// spurious loss gives its share back).
  std::uint64_t loss_cwnd_reduction_ = 0;
  bool conservation_ = false;
  std::uint64_t conservation_end_delivered_ = 0;
  std::uint64_t delivered_ = 0;
  /// Bytes this ACK delivered: its newly acknowledged bytes plus packets
  /// declared lost that it (or an ACK without new data before it) showed
  /// had arrived after all.
  std::uint64_t newly_delivered_ = 0;
};

} // namespace tern::cc
