#pragma once

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tern::cc {

/// How BBR's Startup finds the bottleneck rate.
enum class bbr_startup_mode : std::uint8_t {
  /// draft-cardwell-iccrg-bbr-congestion-control: pace at 2.77 × the
  /// estimate, grow the window by the acknowledged bytes (×2 per round trip).
  standard,
  /// As standard, but the window is at least startup_cwnd_gain × the
  /// estimated BDP (not only the previous window plus the acknowledged
  /// bytes), and the first pacing rate is based on the window already grown
  /// on the first ACK.
  window_follows_model,
  /// Jump start: the ACK spacing of the initial window gives the bottleneck
  /// rate after one round trip; pace at it at once, check it on the ACKs of
  /// what was sent at it, and fall back to standard Startup when the train
  /// gave no usable rate (bbr_startup_jump.cpp).
  jump,
};

/// "standard", "model", "jump"; nullopt for anything else.
std::optional<bbr_startup_mode> parse_bbr_startup_mode(std::string_view name) noexcept;
/// The name parse_bbr_startup_mode accepts for `m`.
std::string_view to_string(bbr_startup_mode m) noexcept;

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
  /// ACK aggregation headroom (ack_aggregation.hpp): in every state but
  /// ProbeRTT, the window adds extra_acked_gain × the most the ACKs delivered
  /// beyond the bandwidth estimate over extra_acked_window_rounds round
  /// trips, but at most the bandwidth over extra_acked_max_time (the
  /// draft's and Linux's 100 ms: a bound on what a wrong estimate can add).
  /// Startup gets it too (as in the draft): batched ACKs make its delivery
  /// rates, and so its model window, lag the doubling. A gain of 0 turns it
  /// off.
  double extra_acked_gain = 1.0;
  std::uint64_t extra_acked_window_rounds = 10;
  duration extra_acked_max_time = std::chrono::milliseconds(100);
  /// The min RTT estimate expires after this long; ProbeRTT then refreshes it.
  duration min_rtt_window = std::chrono::seconds(10);
  /// A round trip whose low quantile (below) is within this fraction above
  /// the estimate refreshes it too, when the round's sample is
  /// application-limited (bbr::shows_no_queue). ProbeRTT drains a standing queue to see
  /// the propagation delay; when the flow's own round trips show no queue
  /// beyond the path's jitter it would learn nothing. On a real path the
  /// samples jitter above the minimum (200.1-200.6 ms through tern-netem's
  /// 200 ms), so a strict "at most the estimate" let it expire every 10 s,
  /// and ProbeRTT's half-BDP window stalled an application-limited media
  /// stream, which needs its whole BDP in flight, for 270 ms (docs/fec.md,
  /// "Real sockets"). 1/64 is 3 ms at 200 ms, 0.16 ms at 10 ms: a queue that
  /// small changes the BDP by under 2%. 0 keeps the strict rule.
  double min_rtt_refresh_tolerance = 1.0 / 64;
  /// A new min RTT needs two samples within this fraction of each other
  /// (min_rtt_filter.hpp): a lone shortcut through a reordering link must
  /// not set it. 0.25 tells a 20 ms path's samples from its 10 ms shortcut
  /// and leaves room for delayed-ACK jitter on a real decrease.
  double min_rtt_confirm_tolerance = 0.25;
  /// Once there is a min RTT estimate, the filter takes the
  /// min_rtt_round_quantile of each round trip's in-order samples (of
  /// several round trips until min_rtt_round_samples are gathered) instead
  /// of every sample (round_rtt_quantile.hpp): on a path with wide jitter,
  /// round trips near zero are real and frequent, and a minimum of single
  /// samples holds the window at a few packets. The 10th percentile keeps
  /// the return path's ACK batching (netem `slot`) out, which the median
  /// let in (4% queue drops at `slot 10ms`). 0 samples: every sample, as
  /// before.
  double min_rtt_round_quantile = 0.1;
  std::size_t min_rtt_round_samples = 8;
  /// Time spent at the minimal window in ProbeRTT (at least one round trip).
  duration probe_rtt_duration = std::chrono::milliseconds(200);
  /// ProbeRTT's window as a fraction of the estimated BDP (the draft's
  /// BBRv2/v3 value): half a BDP in flight drains the queue of a flow that
  /// filled the pipe, while a flow sending at a rate well below the
  /// estimate (a media stream) goes on almost unhindered. 0 gives BBRv1's
  /// window of min_pipe_cwnd_packets.
  double probe_rtt_cwnd_gain = 0.5;
  /// The window floor, in datagrams (also ProbeRTT's least window).
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
  /// inflight_hi (after BBRv2/v3, draft-ietf-ccwg-bbr): outside Startup, a
  /// delivery-rate sample whose flight lost more than this fraction of what
  /// was in flight when it was sent, beyond the loss rate of flights of at
  /// most one BDP (the path's random loss), while more than one BDP was in
  /// flight (so a queue was building),
  /// shows where the bottleneck's buffer overflows; in flight is then capped
  /// there in ProbeBW (the other phases at one BDP if that is more), and
  /// each up-phase that ends without such a loss raises the cap by
  /// inflight_hi_growth of itself once its data is delivered without one.
  /// 0 turns it off.
  double inflight_hi_loss_threshold = 0.02;
  double inflight_hi_growth = 1.0 / 16;
  /// The cap is the flight that lost too much, except for a flight sent
  /// in ProbeBW that lost more than this beyond the random loss: that one
  /// overran the buffer by far, and the cap is what got through of it
  /// (bbr_loss.cpp).
  double inflight_hi_heavy_loss = 0.1;
  /// bw_lo (after draft-ietf-ccwg-bbr's lower bounds, bbr_loss_bound.cpp):
  /// a ProbeBW round trip away from any probe that loses more than the
  /// path's random loss (round_loss_base) plus the larger of
  /// cruise_loss_threshold and cruise_loss_sigmas binomial deviations bounds
  /// the bandwidth at max(that round's highest delivery rate, bw_lo_beta ×
  /// the bound so far); a later probe whose delivery rate beats the bound by
  /// bw_lo_release_growth lifts it. Rounds of fewer than
  /// round_loss_min_packets packets are not judged. 0 turns it off, the
  /// default: on (0.02) it cut the matrix's `limit 1000` row's self-caused
  /// drops from 5.39% to 0.75-1.4% but cost passing cells (reordering at 3%,
  /// 10% loss; docs/congestion.md, "bw_lo").
  double cruise_loss_threshold = 0;
  double cruise_loss_sigmas = 3;
  double bw_lo_beta = 0.7;
  double bw_lo_release_growth = 1.1;
  /// A judged round at the bound whose loss rate is within this factor of
  /// the one that set it (either way) shows the loss does not depend on the
  /// rate: it is the path's random loss, which becomes round_loss_base, and
  /// the bound goes.
  double random_loss_persistence = 0.85;
  /// Only round trips whose RTT samples average within this fraction of
  /// the min RTT are judged: loss without a queue (a buffer shorter than
  /// the path's delay line, a stale estimate) is what no other bound sees.
  double cruise_queue_tolerance = 0.125;
  std::uint64_t round_loss_min_packets = 32;
  /// round_loss_base is an EWMA over round trips: this gain for rounds
  /// without excess loss, round_loss_outlier_gain for rounds with it (so a
  /// path whose random loss rose is learnt, slowly).
  double round_loss_gain = 1.0 / 8;
  double round_loss_outlier_gain = 1.0 / 64;
  /// Packet conservation for the first round trip of a recovery period
  /// outside Startup (cwnd = in flight + newly acknowledged). Off by default:
  /// under random loss every round trip holds a loss, and conservation would
  /// then stop each ProbeBW up-phase from probing.
  bool packet_conservation = false;
  /// How Startup ramps up (bbr_startup_mode).
  bbr_startup_mode startup = bbr_startup_mode::jump;
  /// Jump start: the rate the initial window's ACK train shows is believed
  /// up to this multiple of initial window per min RTT (256: eight
  /// doublings); beyond it the jump is only a floor and Startup goes on from
  /// it. Bounds what ACKs compressed into a burst can make BBR send.
  double startup_jump_max_multiple = 256;
  /// Jump start: the initial window's train needs this many ACKs.
  std::uint64_t startup_jump_min_acks = 3;
  /// Jump start: no jump when the initial window's ACK gaps differ by more
  /// than this factor (largest over smallest): the return path batched them.
  /// A lost packet in the initial window makes gaps of one to three packets.
  double startup_jump_max_gap_ratio = 4;
  /// Jump start: pace at this gain times the train's rate.
  double startup_jump_pacing_gain = 1.0;
  /// Jump start: the rate is checked on the ACKs of what was sent at it,
  /// over this fraction of the min RTT...
  double startup_jump_check_fraction = 0.25;
  /// ...and confirmed when they deliver at least this fraction of it;
  /// otherwise the rate they show replaces it.
  double startup_jump_confirm_ratio = 0.85;
};

} // namespace tern::cc
