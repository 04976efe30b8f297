// Pacing: a token bucket whose depth is the send quantum.
//
// RFC 9002 §7.7 asks senders to pace rather than burst a whole window. The
// bucket fills at the controller's pacing rate up to one quantum (about 1 ms
// of data, at least two datagrams, at most 64 KiB), so the sender may emit a
// small burst and then one packet per (size / rate). Release times are
// rounded up to the nanosecond, so a packet is never released early.

#include "congestion/pacer.hpp"

#include "congestion/controller.hpp"

#include <algorithm>
#include <cmath>

namespace tern::cc {

pacer::pacer(const pacer_config& config) noexcept
    : config_{config}, quantum_{quantum_for(0)}, tokens_{static_cast<double>(quantum_)} {}

std::uint64_t pacer::quantum_for(std::uint64_t rate) const noexcept {
  const std::uint64_t mss = config_.max_datagram_size;
  if (rate == 0) return std::max(config_.min_quantum_packets, std::uint64_t{1}) * mss;
  if (rate < config_.low_rate) return mss;
  const double per_quantum =
      static_cast<double>(rate) * static_cast<double>(config_.quantum_time.count()) * 1e-9;
  const auto q = static_cast<std::uint64_t>(std::min(per_quantum, static_cast<double>(config_.max_quantum)));
  return std::max(q, config_.min_quantum_packets * mss);
}

double pacer::tokens_at(time_point now) const noexcept {
  if (rate_ == 0 || !started_ || now <= last_) return tokens_;
  const double elapsed = static_cast<double>((now - last_).count()) * 1e-9;
  return std::min(static_cast<double>(quantum_), tokens_ + elapsed * static_cast<double>(rate_));
}

void pacer::refill(time_point now) noexcept {
  tokens_ = tokens_at(now);
  if (!started_ || now > last_) last_ = now;
  started_ = true;
}

void pacer::set_rate(std::uint64_t bytes_per_second, time_point now) noexcept {
  if (bytes_per_second == unlimited_rate) bytes_per_second = 0;
  if (bytes_per_second == rate_) return;
  refill(now);
  rate_ = bytes_per_second;
  quantum_ = quantum_for(rate_);
  tokens_ = std::min(tokens_, static_cast<double>(quantum_));
}

time_point pacer::release_time(std::uint64_t bytes, time_point now) const noexcept {
  if (rate_ == 0) return now;
  // A packet larger than the bucket would never fit; it may go once the
  // bucket is full.
  const double need = std::min(static_cast<double>(bytes), static_cast<double>(quantum_));
  const double have = tokens_at(now);
  // A thousandth of a byte of slack absorbs floating-point rounding, so a
  // packet is not deferred by a nanosecond at its own release time.
  if (have + 1e-3 >= need) return now;
  const double wait_ns = std::ceil((need - have) * 1e9 / static_cast<double>(rate_));
  return now + duration{static_cast<duration::rep>(wait_ns)};
}

void pacer::on_packet_sent(std::uint64_t bytes, time_point now) noexcept {
  refill(now);
  if (rate_ == 0) {
    tokens_ = static_cast<double>(quantum_);
    return;
  }
  tokens_ -= static_cast<double>(bytes);
}

} // namespace tern::cc
