#pragma once

#include <tern/time.hpp>

#include <cstdint>

namespace tern::cc {

struct pacer_config {
  /// Size of a full datagram, bytes.
  std::uint64_t max_datagram_size = 1200;
  /// The burst the pacer allows is the data the rate releases in this long...
  duration quantum_time = std::chrono::milliseconds(1);
  /// ...capped at this many bytes...
  std::uint64_t max_quantum = 64 * 1024;
  /// ...and never below this many datagrams (one below low_rate).
  std::uint64_t min_quantum_packets = 2;
  /// Below this rate (bytes per second) the quantum is one datagram.
  std::uint64_t low_rate = 150'000;
};

/// Turns a pacing rate into release times: a token bucket that fills at the
/// pacing rate up to one send quantum. A packet may leave when the bucket
/// holds its size; sending drains the bucket (it may go negative when the
/// sender must send regardless, e.g. a probe, and the debt delays what
/// follows). Time is passed in, so the pacer runs in virtual time and in real
/// time alike; a driver that wakes late finds at most one quantum of credit.
class pacer {
public:
  explicit pacer(const pacer_config& config = {}) noexcept;

  /// Sets the rate in bytes per second (unlimited_rate from controller.hpp,
  /// or 0, turns pacing off). Credit accrued so far is kept.
  void set_rate(std::uint64_t bytes_per_second, time_point now) noexcept;

  /// The earliest time a packet of `bytes` may be sent: `now` when it may go
  /// at once, later otherwise. Never earlier than `now`.
  [[nodiscard]] time_point release_time(std::uint64_t bytes, time_point now) const noexcept;

  /// Records that a packet of `bytes` was sent at `now`.
  void on_packet_sent(std::uint64_t bytes, time_point now) noexcept;

  /// Current rate, bytes per second (0 when not pacing).
  [[nodiscard]] std::uint64_t rate() const noexcept { return rate_; }
  /// Current burst allowance, bytes.
  [[nodiscard]] std::uint64_t quantum() const noexcept { return quantum_; }
  [[nodiscard]] bool pacing() const noexcept { return rate_ != 0; }

private:
  [[nodiscard]] double tokens_at(time_point now) const noexcept;
  void refill(time_point now) noexcept;
  [[nodiscard]] std::uint64_t quantum_for(std::uint64_t rate) const noexcept;

  pacer_config config_;
  std::uint64_t rate_ = 0;
  std::uint64_t quantum_;
  double tokens_;
  time_point last_{};
  bool started_ = false;
};

} // namespace tern::cc
