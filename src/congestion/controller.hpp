#pragma once

// The congestion controller interface. A controller is fed event structs by
// the sender (packet sent, ACK with a delivery-rate sample, loss, spurious
// loss, ECN congestion) and yields a congestion window and a pacing rate. It
// never sees a connection, a packet encoding or a clock: `now` comes in the
// events.

#include "congestion/bbr_config.hpp"
#include "congestion/rate_sample.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

namespace tern::cc {

/// Pacing rate meaning "do not pace" (bytes per second). Controllers return it
/// before they have an RTT to derive a rate from.
inline constexpr std::uint64_t unlimited_rate = std::numeric_limits<std::uint64_t>::max();

enum class algorithm : std::uint8_t { bbr, cubic, new_reno };

/// "bbr", "cubic", "newreno" (also "new_reno", "reno"); nullopt for anything else.
std::optional<algorithm> parse_algorithm(std::string_view name) noexcept;
/// The canonical lower-case name of `a`.
std::string_view to_string(algorithm a) noexcept;

/// Settings shared by every controller. All sizes are in bytes.
struct controller_config {
  /// The largest datagram the sender emits; windows are counted in these.
  std::uint64_t max_datagram_size = 1200;
  /// Initial congestion window, in datagrams (RFC 9002 §7.2 recommends 10).
  std::uint64_t initial_window_packets = 10;
  /// The window never drops below this many datagrams (RFC 9002 kMinimumWindow
  /// is 2; BBR keeps its own floor of 4).
  std::uint64_t minimum_window_packets = 2;
  /// CUBIC and NewReno: collapse the window to the initial window when sending
  /// resumes after an idle period longer than the RTO (RFC 5681 §4.1).
  /// Off by default: after idle the old window is kept and pacing spreads it.
  bool slow_start_after_idle = false;
  /// Before the first RTT sample, pacing-rate estimates use this RTT.
  duration initial_rtt = std::chrono::milliseconds(333);
  /// BBR's tunables (ignored by the other controllers).
  bbr_config bbr{};

  /// The initial congestion window in bytes.
  [[nodiscard]] std::uint64_t initial_window() const noexcept { return initial_window_packets * max_datagram_size; }
};

/// A packet left the sender (counted in flight when `in_flight`).
struct packet_sent_event {
  time_point now{};
  std::uint64_t packet_number = 0;
  std::uint64_t bytes = 0;
  /// Bytes in flight before this packet was sent.
  std::uint64_t prior_in_flight = 0;
  bool in_flight = true;
  /// The sender had no more data ready when it sent this packet.
  bool app_limited = false;
};

/// One ACK frame's worth of newly acknowledged packets.
struct ack_event {
  time_point now{};
  /// In-flight bytes newly acknowledged by this ACK (spurious losses excluded).
  std::uint64_t bytes_acked = 0;
  /// Bytes in flight before the ACK was processed and after (acks and any
  /// losses the ACK revealed removed).
  std::uint64_t prior_in_flight = 0;
  std::uint64_t bytes_in_flight = 0;
  /// Send time of the largest newly acknowledged packet; used to tell whether
  /// the ACK ends a recovery period (packets sent after it began).
  time_point largest_acked_sent_time{};
  /// RTT state after this ACK (zero durations until the first sample).
  duration latest_rtt{0};
  duration smoothed_rtt{0};
  duration min_rtt{0};
  duration rttvar{0};
  /// Total bytes delivered on the connection after this ACK (packets
  /// declared lost and acknowledged after all included: they arrived).
  std::uint64_t delivered = 0;
  /// Delivery-rate sample built from the newly acknowledged packets.
  rate_sample sample{};
  /// The newest acknowledged packet (the one `sample` and latest_rtt
  /// describe) overtook an older packet still outstanding: its RTT may be a
  /// reordering link's shortcut rather than the path's, and must not become
  /// a minimum RTT.
  bool newest_acked_overtook = false;
  /// How long the peer says it held this ACK back (capped at its
  /// max_ack_delay): now - ack_delay is when the ACK would have left
  /// without delayed acknowledgement.
  duration ack_delay{0};
};

/// Packets newly declared lost (by an ACK or by the loss timer).
struct loss_event {
  time_point now{};
  std::uint64_t bytes_lost = 0;
  std::uint64_t packets_lost = 0;
  /// Smallest packet number among the lost packets. Loss detection declares
  /// packets lost in increasing packet-number order, so later loss events
  /// only hold larger numbers.
  std::uint64_t smallest_lost_packet_number = 0;
  /// Send time of the most recently sent lost packet: a loss of a packet sent
  /// before the current recovery period began does not start another one.
  time_point largest_lost_sent_time{};
  /// Bytes in flight before and after the lost packets were removed.
  std::uint64_t prior_in_flight = 0;
  std::uint64_t bytes_in_flight = 0;
  /// RFC 9002 §7.6: the losses span more than the persistent congestion
  /// duration with nothing acknowledged in between.
  bool persistent_congestion = false;
};

/// A packet earlier declared lost has been acknowledged after all.
struct spurious_loss_event {
  time_point now{};
  std::uint64_t packet_number = 0;
  std::uint64_t bytes = 0;
  time_point sent_time{};
};

/// The peer reported newly CE-marked packets (RFC 9002 §7.1).
struct ecn_event {
  time_point now{};
  std::uint64_t ce_increase = 0;
  time_point largest_acked_sent_time{};
  std::uint64_t bytes_in_flight = 0;
};

/// The sender ran out of data while the window had room; it stays quiet
/// until more data comes.
struct app_limited_event {
  time_point now{};
  std::uint64_t bytes_in_flight = 0;
};

/// A congestion controller. Not thread-safe; one per path.
class controller {
public:
  virtual ~controller() = default;

  virtual void on_packet_sent(const packet_sent_event& e) = 0;
  /// Called once per ACK frame that newly acknowledges packets, after
  /// on_loss for any losses the same ACK revealed.
  virtual void on_ack(const ack_event& e) = 0;
  virtual void on_loss(const loss_event& e) = 0;
  /// Undo the response to a loss that turned out spurious, where the
  /// algorithm allows it. Default: nothing to undo.
  virtual void on_spurious_loss(const spurious_loss_event&) {}
  /// Default: ignored.
  virtual void on_ecn(const ecn_event&) {}
  virtual void on_app_limited(const app_limited_event&) {}
  /// The connection's handshake is confirmed at `now`: what was sent so far
  /// were the handshake's few packets, which show little of the path. A
  /// controller that measures the path from its first flight (BBR's jump
  /// start) measures the first flight of application data instead.
  /// Default: ignored.
  virtual void on_handshake_confirmed(time_point /*now*/) {}

  /// Bytes that may be in flight.
  [[nodiscard]] virtual std::uint64_t congestion_window() const noexcept = 0;
  /// Bytes per second the pacer should release at; unlimited_rate to not pace.
  [[nodiscard]] virtual std::uint64_t pacing_rate() const noexcept = 0;
  /// The controller's estimate of the path's bandwidth, bytes per second
  /// (0 before it has one): the rate a media encoder can aim at. BBR: its
  /// bottleneck bandwidth (the windowed maximum of delivery-rate samples);
  /// the loss-based controllers: one congestion window per smoothed RTT.
  [[nodiscard]] virtual std::uint64_t bandwidth_estimate() const noexcept = 0;
  /// Short name of the controller's current state ("slow_start",
  /// "probe_bw", ...), for stats and logs.
  [[nodiscard]] virtual std::string_view state_name() const noexcept = 0;
  [[nodiscard]] virtual algorithm kind() const noexcept = 0;
  /// True while the window is still growing from the initial window towards
  /// the path's capacity (BBR's Startup, slow start before the first
  /// congestion event). Outside start-up a small window is the controller's
  /// decision (a loss response, ProbeRTT's drain) and must be honoured.
  [[nodiscard]] virtual bool in_startup() const noexcept = 0;
};

/// Builds a controller. `rng` must outlive it (BBR draws its ProbeBW phase).
std::unique_ptr<controller> make_controller(algorithm a, const controller_config& config, random_source& rng);

} // namespace tern::cc
