// DPLPMTUD (RFC 8899) for tern's datagrams, as a sans-IO state machine.
//
// Design notes
// - States follow RFC 8899 §5.2: BASE (confirm base_size), SEARCHING,
//   SEARCH_COMPLETE, ERROR. DISABLED is the caller simply not using it.
// - Probes are the transport's own ack-eliciting packets padded to the probe
//   size (RFC 8899 §4.1, RFC 9000 §14.4), so "acked" and "lost" come from the
//   connection's ordinary loss detection; this machine keeps no PROBE_TIMER
//   of its own. One probe is in flight at a time.
// - Search (RFC 8899 §5.3.2 leaves the algorithm open): first try max_size,
//   which most paths carry, so the common case costs one probe; if it fails,
//   binary-search between the confirmed size and the largest size not ruled
//   out, and stop when the gap is below search_granularity. A size is ruled
//   out after MAX_PROBES consecutive losses (§5.1.2), or at once on a local
//   EMSGSIZE / validated Packet Too Big (§4.6).
// - The usable size only rises on an acknowledged probe, so it can never
//   exceed what the path has proven.
// - Black holes (§4.3): a run of losses of packets larger than base_size with
//   none of them acknowledged, no later big packet acknowledged, and no
//   base-size packet lost meanwhile (either points to congestion rather than
//   size), drops the usable size to base_size and restarts from BASE below
//   the size that vanished.
// - A black hole that swallows every packet leaves loss detection nothing to
//   declare (no ACK arrives): repeated probe timeouts with nothing
//   acknowledged (on_path_silent) fall back to base_size as well.
// - PMTU_RAISE_TIMER (§5.1.1, default 600 s): a completed or failed search is
//   retried later, up to max_size again, since paths change.

#include "core/path_mtu.hpp"

#include <algorithm>

namespace tern::core {

pmtud::pmtud(const pmtud_config& config)
    : config_(config), state_(config.base_confirmed ? pmtud_state::searching : pmtud_state::base),
      current_(config.base_size), high_(std::max(config.max_size, config.base_size)) {
  config_.max_size = high_;
  if (config_.max_probes == 0) config_.max_probes = 1;
  if (config_.black_hole_threshold == 0) config_.black_hole_threshold = 1;
  if (state_ == pmtud_state::searching && current_ >= high_) state_ = pmtud_state::search_complete;
}

std::size_t pmtud::next_probe_size() const noexcept {
  if (state_ == pmtud_state::base) return config_.base_size;
  // Nothing ruled out yet: try the top first.
  if (high_ == config_.max_size) return high_;
  return current_ + (high_ - current_ + 1) / 2;
}

std::size_t pmtud::probe_due() const noexcept {
  if (in_flight_ != 0) return 0;
  if (state_ != pmtud_state::base && state_ != pmtud_state::searching) return 0;
  return next_probe_size();
}

void pmtud::on_probe_sent(std::size_t size) noexcept {
  if (size == 0 || size != probe_due()) return;
  in_flight_ = size;
  ++stats_.probes_sent;
}

std::size_t pmtud::poll_probe(time_point) noexcept {
  const std::size_t size = probe_due();
  on_probe_sent(size);
  return size;
}

void pmtud::finish_if_narrow(time_point now) noexcept {
  if (state_ != pmtud_state::searching) return;
  // max_size itself is always tried before the search may end below it.
  const bool narrow =
      current_ >= high_ || (high_ != config_.max_size && high_ - current_ < config_.search_granularity);
  if (!narrow) return;
  state_ = pmtud_state::search_complete;
  timer_ = current_ < config_.max_size ? now + config_.raise_interval : never;
}

void pmtud::confirm(std::size_t size, time_point now) noexcept {
  if (state_ == pmtud_state::base) {
    state_ = pmtud_state::searching;
  } else {
    current_ = std::max(current_, size);
  }
  big_losses_ = 0;
  finish_if_narrow(now);
}

void pmtud::fail_size(std::size_t size, time_point now) noexcept {
  losses_ = 0;
  if (state_ == pmtud_state::base) {
    state_ = pmtud_state::error;
    timer_ = now + config_.raise_interval;
    return;
  }
  high_ = std::min(high_, size - 1);
  finish_if_narrow(now);
}

void pmtud::black_hole(std::size_t bad_size) noexcept {
  ++stats_.black_holes;
  current_ = config_.base_size;
  high_ = std::max(config_.base_size, bad_size - 1);
  state_ = pmtud_state::base;
  in_flight_ = 0;
  losses_ = 0;
  big_losses_ = 0;
  timer_ = never;
}

void pmtud::on_probe_acked(std::size_t size, time_point now) noexcept {
  if (size == 0 || size != in_flight_) return;
  in_flight_ = 0;
  losses_ = 0;
  ++stats_.probes_acked;
  confirm(size, now);
}

void pmtud::on_probe_lost(std::size_t size, time_point now) noexcept {
  if (size == 0 || size != in_flight_) return;
  in_flight_ = 0;
  ++stats_.probes_lost;
  if (++losses_ >= config_.max_probes) fail_size(size, now);
}

void pmtud::on_packet_too_big(std::size_t size, time_point now) noexcept {
  if (size == 0) return;
  if (size == in_flight_) {
    in_flight_ = 0;
    ++stats_.probes_lost;
    fail_size(size, now);
    return;
  }
  if (size > current_) return; // larger than anything sent outside probes: stale
  if (size <= config_.base_size) {
    // Even the floor does not fit; keep using it (nothing smaller exists) and
    // try again later.
    state_ = pmtud_state::error;
    in_flight_ = 0;
    timer_ = now + config_.raise_interval;
    return;
  }
  black_hole(size);
}

void pmtud::on_packet_acked(std::size_t size, std::uint64_t packet_number) noexcept {
  if (size <= config_.base_size) return;
  big_losses_ = 0;
  largest_big_acked_ = std::max(largest_big_acked_, packet_number + 1);
}

void pmtud::on_packet_lost(std::size_t size, std::uint64_t packet_number, time_point) noexcept {
  // Losses are declared after the acknowledgements of the same ACK, so a
  // burst dropped by a full queue arrives as a run of losses right after the
  // ack of a later big packet: the run must not count.
  if (size <= config_.base_size || packet_number + 1 < largest_big_acked_) {
    big_losses_ = 0;
    return;
  }
  if (current_ <= config_.base_size) return;
  if (++big_losses_ >= config_.black_hole_threshold) black_hole(std::min(size, current_));
}

void pmtud::on_path_silent(time_point) noexcept {
  if (current_ <= config_.base_size) return;
  black_hole(current_);
  high_ = config_.max_size;
}

void pmtud::on_timeout(time_point now) noexcept {
  if (timer_ == never || now < timer_) return;
  timer_ = never;
  if (state_ == pmtud_state::error) {
    state_ = pmtud_state::base;
    losses_ = 0;
  } else if (state_ == pmtud_state::search_complete && current_ < config_.max_size) {
    high_ = config_.max_size;
    losses_ = 0;
    state_ = pmtud_state::searching;
  }
}

} // namespace tern::core
