#pragma once

#include "sim/link.hpp"
#include "sim/netem_spec.hpp"
#include "sim/packet.hpp"
#include "sim/schedule.hpp"

#include <tern/time.hpp>

#include <nlohmann/json_fwd.hpp>

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tern::netem {

/// Scheduling accuracy of one direction: how long after its due time each
/// packet was actually sent. A histogram of 1 us buckets up to 100 ms.
class lateness_histogram {
public:
  void add(duration late);
  std::uint64_t count() const noexcept { return count_; }
  double mean_us() const noexcept;
  double percentile_us(double p) const noexcept;
  double max_us() const noexcept { return static_cast<double>(max_ns_) / 1e3; }

private:
  static constexpr std::size_t buckets = 100000;
  std::vector<std::uint64_t> hist_ = std::vector<std::uint64_t>(buckets + 1);
  std::uint64_t count_ = 0;
  double sum_ns_ = 0;
  std::int64_t max_ns_ = 0;
};

/// Counters of one direction kept by the I/O side.
struct direction_stats {
  std::uint64_t received = 0;    ///< packets read from the ports
  std::uint64_t sent = 0;        ///< packets written to the ports
  std::uint64_t send_errors = 0; ///< writes the kernel refused (buffer full, no listener)
  lateness_histogram lateness;
};

class link_pump;

/// The I/O side of tern-netem: where packets enter and leave the two
/// directions ("up" and "down"). The UDP relay and the TUN bridge implement
/// it; link_pump owns the links and the timing, so both modes cross the very
/// same model.
class packet_ports {
public:
  virtual ~packet_ports() = default;

  /// Appends the descriptors to wait on for readability (POLLIN).
  virtual void poll_fds(std::vector<pollfd>& fds) const = 0;
  /// fds[index] (in the order of poll_fds) is readable: reads at most one
  /// batch and hands each packet to pump.offer().
  virtual void on_readable(std::size_t index, link_pump& pump) = 0;
  /// Writes due packets of one direction, counting them in `stats` (sent,
  /// send_errors). The pump takes the payloads back afterwards.
  virtual void send(bool up, std::span<sim::packet> batch, direction_stats& stats) = 0;

  /// The ports' own timed work (the relay's rebinding); never when none.
  virtual time_point next_deadline() const noexcept { return never; }
  virtual void on_deadline(time_point /*now*/) {}

  /// Fields added to the statistics JSON object, after the pump's own, and
  /// to the text, one line each.
  virtual void add_stats_fields(nlohmann::ordered_json& /*stats*/) const {}
  virtual std::string stats_text_lines() const { return {}; }
};

/// One netem_link per direction driven in real time. run() applies due
/// schedule entries, sends every due packet through the ports, and sleeps in
/// ppoll() until the next due packet, schedule entry, ports deadline, the
/// end of the run, or a readable descriptor. Single-threaded.
class link_pump {
public:
  link_pump(const sim::netem_spec& up, const sim::netem_spec& down, sim::schedule schedule, std::uint64_t seed);

  /// Offers a packet read at `now` to one direction. `route` is the ports'
  /// label for it (the relay's client index), carried to send() as
  /// packet::route.
  void offer(bool up, std::span<const std::byte> bytes, std::uint32_t route, time_point now);
  /// Counts a packet the ports read but could not route (it is not offered).
  void refuse(bool up) noexcept { ++(up ? up_stats_ : down_stats_).received; }

  /// Runs until `stop` becomes true (checked at least every 100 ms and on
  /// every SIGINT/SIGTERM, which are unblocked only inside ppoll) or
  /// `run_for` elapses.
  void run(packet_ports& ports, const std::atomic<bool>& stop, std::optional<duration> run_for);

  const sim::link_stats& link_stats(bool up) const noexcept { return (up ? up_ : down_).stats(); }
  const direction_stats& stats(bool up) const noexcept { return up ? up_stats_ : down_stats_; }
  duration elapsed() const noexcept { return elapsed_; }

  /// Statistics as one JSON object, with the ports' fields.
  std::string stats_json(const packet_ports& ports) const;
  /// Statistics for humans, several lines.
  std::string stats_text(const packet_ports& ports) const;

  /// The monotonic clock the pump stamps packets with.
  static time_point now() noexcept;

private:
  void flush(packet_ports& ports, bool up);

  sim::schedule schedule_;
  sim::buffer_pool pool_;
  sim::netem_link up_;
  sim::netem_link down_;
  direction_stats up_stats_, down_stats_;
  std::uint64_t next_id_ = 1;
  duration elapsed_{0};
};

} // namespace tern::netem
